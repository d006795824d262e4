namespace Gateway.Storage.Observe;

/// <summary><see cref="IObservationStore"/> on the gateway database.</summary>
public sealed class SqliteObservationStore(SqliteDatabase database, TimeProvider? time = null) : IObservationStore
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public Task UpsertAsync(ObserveRelation relation, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(relation);
        using var connection = database.OpenConnection();
        Sql.Execute(connection,
            "INSERT INTO observe_relation (peer, token, resource, device, content_format, last_seq, updated_ms, confirmable) VALUES ($p, $t, $r, $d, $c, $s, $u, $f) " +
            "ON CONFLICT (peer, token) DO UPDATE SET resource = excluded.resource, device = excluded.device, " +
            "content_format = excluded.content_format, last_seq = excluded.last_seq, updated_ms = excluded.updated_ms, confirmable = excluded.confirmable",
            ("$p", relation.Peer), ("$t", relation.Token), ("$r", relation.Resource), ("$d", relation.Device),
            ("$c", relation.ContentFormat), ("$s", relation.LastSequence), ("$u", _time.GetUtcNow().ToUnixTimeMilliseconds()), ("$f", relation.Confirmable ? 1 : 0));
        return Task.CompletedTask;
    }

    public Task<bool> UpdateSequenceAsync(string peer, byte[] token, int lastSequence, CancellationToken cancellationToken = default)
    {
        using var connection = database.OpenConnection();
        return Task.FromResult(Sql.Execute(connection, "UPDATE observe_relation SET last_seq = $s, updated_ms = $u WHERE peer = $p AND token = $t",
            ("$s", lastSequence), ("$u", _time.GetUtcNow().ToUnixTimeMilliseconds()), ("$p", peer), ("$t", token)) == 1);
    }

    public Task<bool> RemoveAsync(string peer, byte[] token, CancellationToken cancellationToken = default)
    {
        using var connection = database.OpenConnection();
        return Task.FromResult(Sql.Execute(connection, "DELETE FROM observe_relation WHERE peer = $p AND token = $t", ("$p", peer), ("$t", token)) == 1);
    }

    public Task<IReadOnlyList<ObserveRelation>> ListAsync(CancellationToken cancellationToken = default)
    {
        using var connection = database.OpenConnection();
        return Task.FromResult<IReadOnlyList<ObserveRelation>>(Sql.Query(connection,
            "SELECT peer, token, resource, device, content_format, last_seq, confirmable FROM observe_relation ORDER BY peer, token",
            r => new ObserveRelation(r.GetString(0), (byte[])r.GetValue(1), r.GetString(2), r.NullableString(3), r.GetInt32(4), r.GetInt32(5), r.GetInt32(6) != 0)));
    }
}
