using Microsoft.Data.Sqlite;

namespace Gateway.Storage.Downlinks;

/// <summary>
/// <see cref="IDownlinkQueue"/> on the gateway database. TTLs use the wall clock on purpose: the cloud
/// states RPC deadlines as absolute times, and downlink TTLs are seconds to minutes, not days.
/// </summary>
public sealed class SqliteDownlinkQueue(SqliteDatabase database, TimeProvider? time = null) : IDownlinkQueue
{
    private const string Columns = "id, device, kind, request_id, payload, status, created_ms, expires_ms";

    private readonly TimeProvider _time = time ?? TimeProvider.System;

    private long NowMs => _time.GetUtcNow().ToUnixTimeMilliseconds();

    public Task<long> EnqueueAsync(string device, DownlinkKind kind, long? requestId, ReadOnlyMemory<byte> payload, TimeSpan ttl, CancellationToken cancellationToken = default)
    {
        using var connection = database.OpenConnection();
        var now = NowMs;
        var id = (long)Sql.Scalar(connection,
            "INSERT INTO downlink (device, kind, request_id, payload, status, created_ms, expires_ms) VALUES ($d, $k, $r, $p, 1, $c, $e) RETURNING id",
            ("$d", device), ("$k", (int)kind), ("$r", requestId), ("$p", payload.ToArray()), ("$c", now), ("$e", now + (long)ttl.TotalMilliseconds))!;
        return Task.FromResult(id);
    }

    public Task<IReadOnlyList<Downlink>> PendingAsync(string device, CancellationToken cancellationToken = default)
    {
        using var connection = database.OpenConnection();
        return Task.FromResult<IReadOnlyList<Downlink>>(Sql.Query(connection,
            $"SELECT {Columns} FROM downlink WHERE device = $d AND status IN (1, 2) AND expires_ms > $n ORDER BY id", Map, ("$d", device), ("$n", NowMs)));
    }

    public Task<bool> SetStatusAsync(long id, DownlinkStatus status, CancellationToken cancellationToken = default)
    {
        using var connection = database.OpenConnection();
        return Task.FromResult(Sql.Execute(connection, "UPDATE downlink SET status = $s WHERE id = $i", ("$s", (int)status), ("$i", id)) == 1);
    }

    public Task<Downlink?> CompleteRpcAsync(string device, long requestId, CancellationToken cancellationToken = default)
    {
        using var connection = database.OpenConnection();
        var completed = Sql.Query(connection,
            $"UPDATE downlink SET status = 3 WHERE device = $d AND kind = 1 AND request_id = $r AND status IN (1, 2) AND expires_ms > $n RETURNING {Columns}",
            Map, ("$d", device), ("$r", requestId), ("$n", NowMs));
        return Task.FromResult(completed.FirstOrDefault());
    }

    public Task<IReadOnlyList<Downlink>> ExpireAsync(CancellationToken cancellationToken = default)
    {
        using var connection = database.OpenConnection();
        using var transaction = connection.BeginTransaction(deferred: false);
        Sql.Execute(connection, "DELETE FROM downlink WHERE status IN (3, 4)");
        var expired = Sql.Query(connection, $"UPDATE downlink SET status = 4 WHERE status IN (1, 2) AND expires_ms <= $n RETURNING {Columns}", Map, ("$n", NowMs));
        transaction.Commit();
        return Task.FromResult<IReadOnlyList<Downlink>>(expired.OrderBy(d => d.Id).ToList());
    }

    private static Downlink Map(SqliteDataReader r) => new(
        r.GetInt64(0), r.GetString(1), (DownlinkKind)r.GetInt32(2), r.IsDBNull(3) ? null : r.GetInt64(3), (byte[])r.GetValue(4),
        (DownlinkStatus)r.GetInt32(5), r.UnixMs(6), r.UnixMs(7));
}
