using Gateway.Storage;
using Gateway.Storage.Outbox;
using Microsoft.Data.Sqlite;

namespace Gateway.Bench;

/// <summary>
/// Dedup records for <see cref="StorageBench"/>, keyed as the CoAP telemetry resource keys them: "ip:port#MID" of
/// one of <paramref name="peers"/> clients, each counting its MIDs up from its own start (RFC 7252 §4.4). The
/// prefilled records use MIDs 10,000 above each client's start, so they sit between the measured ones in key order.
/// </summary>
internal sealed class DedupKeys(int peers, int prefill)
{
    private static readonly byte[] Created = [0x41];
    private static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(247);
    private readonly int[] _next = new int[peers];
    private long _count;

    public DedupRecord Next()
    {
        var i = Interlocked.Increment(ref _count);
        var peer = (int)(i % peers);
        var mid = Interlocked.Increment(ref _next[peer]);
        return new DedupRecord(Key(peer, mid), 0, Created, Lifetime);
    }

    /// <summary>Writes <c>prefill</c> live records straight into the table, expiring over the next 247 s of the store clock.</summary>
    public void Prefill(SqliteDatabase database)
    {
        if (prefill == 0) return;
        using var connection = database.OpenConnection();
        using var transaction = connection.BeginTransaction();
        using var insert = connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = "INSERT INTO dedup (peer, mid, response, expires_at) VALUES ($p, 0, $r, $e)";
        var key = insert.Parameters.Add("$p", SqliteType.Text);
        insert.Parameters.AddWithValue("$r", Created);
        var expires = insert.Parameters.Add("$e", SqliteType.Integer);
        for (var i = 0; i < prefill; i++)
        {
            key.Value = Key(i % peers, 10_000 + i / peers);
            expires.Value = 10_000 + (long)i * (long)(Lifetime.TotalMilliseconds - 10_000) / prefill;
            insert.ExecuteNonQuery();
        }
        transaction.Commit();
    }

    private static string Key(int peer, int mid) => $"127.0.0.1:{40_000 + peer}#{(peer * 4_099 + mid) % 65_536}";
}
