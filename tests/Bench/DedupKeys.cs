using Gateway.Storage;
using Gateway.Storage.Outbox;
using Microsoft.Data.Sqlite;

namespace Gateway.Bench;

/// <summary>
/// Dedup records for <see cref="StorageBench"/>, keyed as the CoAP telemetry resource keys them: "ip:port#MID" of
/// one of <paramref name="peers"/> clients, each counting its MIDs up from its own start (RFC 7252 §4.4). The
/// prefilled records use MIDs 10,000 above each client's start, so they sit between the measured ones in key order.
/// Before migration 0009 a record was a row of <c>dedup</c> keyed "ip:port#MID"; since, 64 records of a peer are
/// one row of <c>dedup_block</c>: the prefill writes whichever the database has, so builds before and after compare.
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
        return Blocks ? new DedupRecord(Peer(peer), Mid(peer, mid), Created, Lifetime) : new DedupRecord($"{Peer(peer)}#{Mid(peer, mid)}", 0, Created, Lifetime);
    }

    private bool Blocks { get; set; }

    /// <summary>Writes <c>prefill</c> live records straight into the table, expiring over the next 247 s of the store clock.</summary>
    public void Prefill(SqliteDatabase database)
    {
        using var connection = database.OpenConnection();
        using (var probe = connection.CreateCommand())
        {
            probe.CommandText = "SELECT count(*) FROM sqlite_master WHERE name = 'dedup_block'";
            Blocks = (long)probe.ExecuteScalar()! == 1;
        }
        if (prefill == 0) return;
        using var transaction = connection.BeginTransaction();
        using var insert = connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = Blocks
            ? "INSERT OR IGNORE INTO dedup_block (peer, block, response, bits, expires_at) VALUES ($p, $m >> 6, $r, -1, $e)"
            : "INSERT INTO dedup (peer, mid, response, expires_at) VALUES ($p || '#' || $m, 0, $r, $e)";
        var peer = insert.Parameters.Add("$p", SqliteType.Text);
        var mid = insert.Parameters.Add("$m", SqliteType.Integer);
        insert.Parameters.AddWithValue("$r", Created);
        var expires = insert.Parameters.Add("$e", SqliteType.Integer);
        var step = Blocks ? 64 : 1;
        for (var i = 0; i < prefill; i += step)
        {
            peer.Value = Peer(i / step % peers);
            mid.Value = Mid(i / step % peers, 10_000 + i / step / peers * step);
            expires.Value = 10_000 + (long)i * (long)(Lifetime.TotalMilliseconds - 10_000) / prefill;
            insert.ExecuteNonQuery();
        }
        transaction.Commit();
    }

    private static string Peer(int peer) => $"127.0.0.1:{40_000 + peer}";

    private static int Mid(int peer, int mid) => (peer * 4_099 + mid) % 65_536;
}
