using Microsoft.Data.Sqlite;

namespace Gateway.Storage.Outbox;

/// <summary>
/// CoAP deduplication records by Message ID block (migration 0009): a peer's current block of 64 IDs is one row
/// of <c>dedup_peer</c>, a bit per record, and moves to <c>dedup_block</c> once the peer's IDs leave it. A claim in
/// the current block is one UPDATE of a row on a few hot pages; a record per request in a (peer, MID) b-tree was
/// a leaf page per row in every commit's WAL. Statements are prepared once; the caller owns the transaction.
/// </summary>
internal sealed class DedupTable(SqliteConnection connection) : IDisposable
{
    // ?1 peer, ?2 block, ?3 bit, ?4 response, ?5 expires_at, ?6 now (unused numbers are allowed).
    private const string ClaimInCurrentSql =
        "UPDATE dedup_peer SET bits = bits | ?3, expires_at = max(expires_at, ?5) " +
        "WHERE peer = ?1 AND block = ?2 AND response = ?4 AND expires_at > ?6 AND ((bits | other_bits) & ?3) = 0";

    // After FindSql said the bit is not recorded: other_bits only said "maybe" (it is all ones while the block also has rows in dedup_block).
    private const string AddToCurrentSql =
        "UPDATE dedup_peer SET bits = bits | ?3, expires_at = max(expires_at, ?5) WHERE peer = ?1 AND block = ?2 AND response = ?4 AND expires_at > ?6";

    // The peer's live current block is written to dedup_block, merged with what the block already holds there.
    private const string RetireCurrentSql =
        "INSERT INTO dedup_block (peer, block, response, bits, expires_at) " +
        "SELECT peer, block, response, bits, expires_at FROM dedup_peer WHERE peer = ?1 AND expires_at > ?6 AND bits <> 0 " +
        "ON CONFLICT (peer, block, response) DO UPDATE SET " +
        "bits = CASE WHEN dedup_block.expires_at > ?6 THEN dedup_block.bits | excluded.bits ELSE excluded.bits END, " +
        "expires_at = max(dedup_block.expires_at, excluded.expires_at)";

    private const string StartBlockSql =
        "INSERT INTO dedup_peer (peer, response, block, bits, other_bits, expires_at) VALUES (?1, ?4, ?2, ?3, " +
        "CASE WHEN EXISTS (SELECT 1 FROM dedup_block WHERE peer = ?1 AND block = ?2 AND expires_at > ?6) THEN -1 ELSE 0 END, ?5) " +
        "ON CONFLICT (peer) DO UPDATE SET response = excluded.response, block = excluded.block, bits = excluded.bits, " +
        "other_bits = excluded.other_bits, expires_at = excluded.expires_at";

    private const string FindSql =
        "SELECT response FROM dedup_peer WHERE peer = ?1 AND block = ?2 AND (bits & ?3) <> 0 AND expires_at > ?6 " +
        "UNION ALL SELECT response FROM dedup_block WHERE peer = ?1 AND block = ?2 AND (bits & ?3) <> 0 AND expires_at > ?6 LIMIT 1";

    private const string TakeBackCurrentSql = "UPDATE dedup_peer SET bits = bits & ~?3 WHERE peer = ?1 AND block = ?2";
    private const string TakeBackRetiredSql = "UPDATE dedup_block SET bits = bits & ~?3 WHERE peer = ?1 AND block = ?2";
    private const string PurgeRetiredSql = "DELETE FROM dedup_block WHERE expires_at <= ?6";
    private const string PurgeCurrentSql = "DELETE FROM dedup_peer WHERE expires_at <= ?6";

    private readonly RawStatement?[] _statements = new RawStatement?[9];

    /// <summary>The response recorded for (<paramref name="peer"/>, <paramref name="messageId"/>) and not expired at <paramref name="now"/>, or null.</summary>
    public byte[]? Find(string peer, int messageId, long now) => Bound(4, FindSql, peer, messageId, default, 0, now).ExecuteBlob();

    /// <summary>
    /// Records <paramref name="dedup"/> unless an unexpired record of its (peer, MID) exists; false then (a duplicate),
    /// with that record's response in <paramref name="recorded"/>.
    /// </summary>
    public bool Claim(in DedupRecord dedup, long now, out byte[]? recorded)
    {
        var (peer, mid) = (dedup.Peer, dedup.MessageId);
        var response = dedup.Response.Span;
        var expires = now + (long)dedup.Lifetime.TotalMilliseconds;
        recorded = null;
        if (Bound(0, ClaimInCurrentSql, peer, mid, response, expires, now).Execute() == 1) return true;
        if ((recorded = Find(peer, mid, now)) is not null) return false;
        if (Bound(1, AddToCurrentSql, peer, mid, response, expires, now).Execute() == 1) return true;
        Bound(2, RetireCurrentSql, peer, mid, response, expires, now).Execute();
        Bound(3, StartBlockSql, peer, mid, response, expires, now).Execute();
        return true;
    }

    /// <summary>Takes back the record of a claim whose row was refused, so a retry of the request is stored once there is room.</summary>
    public void TakeBack(in DedupRecord dedup)
    {
        Bound(5, TakeBackCurrentSql, dedup.Peer, dedup.MessageId, default, 0, 0).Execute();
        Bound(6, TakeBackRetiredSql, dedup.Peer, dedup.MessageId, default, 0, 0).Execute();
    }

    /// <summary>
    /// Deletes expired blocks. dedup_peer has no expiry index on purpose: its expiry moves with every claim, so an
    /// index entry would move too, a page per claim; the table holds one row per peer heard within EXCHANGE_LIFETIME.
    /// </summary>
    public int Purge(long now) =>
        Bound(7, PurgeRetiredSql, "", 0, default, 0, now).Execute() + Bound(8, PurgeCurrentSql, "", 0, default, 0, now).Execute();

    public void Dispose()
    {
        for (var i = 0; i < _statements.Length; i++)
        {
            _statements[i]?.Dispose();
            _statements[i] = null;
        }
    }

    // RFC 7252 §3: the Message ID is 16 bits; block = its top 10, bit = its low 6.
    private static long Block(int messageId) => messageId >> 6;

    private static long Bit(int messageId) => 1L << (messageId & 63);

    private RawStatement Bound(int slot, string sql, string peer, int messageId, ReadOnlySpan<byte> response, long expires, long now)
    {
        // Every statement numbers its parameters the same way; those above its highest are not there to bind.
        var statement = _statements[slot] ??= new RawStatement(connection, sql);
        var count = statement.ParameterCount;
        statement.Bind(1, peer);
        statement.Bind(2, Block(messageId));
        statement.Bind(3, Bit(messageId));
        if (count >= 4) statement.Bind(4, response);
        if (count >= 5) statement.Bind(5, expires);
        if (count >= 6) statement.Bind(6, now);
        return statement;
    }
}
