namespace Gateway.Storage.Observe;

/// <summary><see cref="IObservationStore"/> on the gateway database.</summary>
public sealed class SqliteObservationStore(SqliteDatabase database, TimeProvider? time = null) : IObservationStore
{
    private const string UpsertSql =
        "INSERT INTO observe_relation (peer, token, resource, device, content_format, last_seq, updated_ms, confirmable) VALUES ($p, $t, $r, $d, $c, $s, $u, $f) " +
        "ON CONFLICT (peer, token) DO UPDATE SET resource = excluded.resource, device = excluded.device, " +
        "content_format = excluded.content_format, last_seq = excluded.last_seq, updated_ms = excluded.updated_ms, confirmable = excluded.confirmable";
    private const string RemoveSql = "DELETE FROM observe_relation WHERE peer = $p AND token = $t";

    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public Task UpsertAsync(ObserveRelation relation, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(relation);
        Apply([new ObservationWrite(relation, Remove: false)]);
        return Task.CompletedTask;
    }

    public void Apply(IReadOnlyList<ObservationWrite> writes)
    {
        ArgumentNullException.ThrowIfNull(writes);
        if (writes.Count == 0) return;
        using var connection = database.OpenConnection();
        using var transaction = connection.BeginTransaction(deferred: false);
        // Two statements prepared once and rebound per row: a batch of thousands costs no per-row command objects.
        using var upsert = Sql.Command(connection, UpsertSql, ("$p", ""), ("$t", Array.Empty<byte>()), ("$r", ""), ("$d", null), ("$c", 0), ("$s", 0), ("$u", 0L), ("$f", 0));
        using var remove = Sql.Command(connection, RemoveSql, ("$p", ""), ("$t", Array.Empty<byte>()));
        upsert.Transaction = remove.Transaction = transaction;
        long now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        foreach (var (relation, isRemoval) in writes)
        {
            var command = isRemoval ? remove : upsert;
            var values = command.Parameters;
            values[0].Value = relation.Peer;
            values[1].Value = relation.Token;
            if (!isRemoval)
            {
                values[2].Value = relation.Resource;
                values[3].Value = (object?)relation.Device ?? DBNull.Value;
                values[4].Value = relation.ContentFormat;
                values[5].Value = relation.LastSequence;
                values[6].Value = now;
                values[7].Value = relation.Confirmable ? 1 : 0;
            }
            command.ExecuteNonQuery();
        }
        transaction.Commit();
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
        return Task.FromResult(Sql.Execute(connection, RemoveSql, ("$p", peer), ("$t", token)) == 1);
    }

    public Task<IReadOnlyList<ObserveRelation>> ListAsync(CancellationToken cancellationToken = default)
    {
        using var connection = database.OpenConnection();
        return Task.FromResult<IReadOnlyList<ObserveRelation>>(Sql.Query(connection,
            "SELECT peer, token, resource, device, content_format, last_seq, confirmable FROM observe_relation ORDER BY peer, token",
            r => new ObserveRelation(r.GetString(0), (byte[])r.GetValue(1), r.GetString(2), r.NullableString(3), r.GetInt32(4), r.GetInt32(5), r.GetInt32(6) != 0)));
    }
}
