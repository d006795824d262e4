using System.Text;
using Gateway.Storage.Outbox;
using Gateway.TestKit;

namespace Gateway.Storage.Tests.Outbox;

/// <summary>
/// The dedup records by Message ID block (migration 0009): duplicates within the lifetime answered with their own
/// response and stored once, across block boundaries, alternating responses, a restart, expiry, and an upgraded database.
/// </summary>
public sealed class SqliteOutboxDedupBlockTests : IDisposable
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(247);
    private readonly TempDirectory _directory = new();
    private readonly ManualTimeProvider _clock = new();

    private async Task<T> WithOutbox<T>(Func<SqliteOutbox, Task<T>> work)
    {
        using var database = SqliteDatabase.Open(_directory.Options());
        await using var outbox = new SqliteOutbox(database, _clock);
        return await work(outbox);
    }

    private static OutboxMessage Telemetry(int n) => new("dev-a", OutboxMessageKind.Telemetry, Encoding.UTF8.GetBytes($"{{\"n\":{n}}}"));

    private static DedupRecord Record(string peer, int mid, byte response = 0x41) => new(peer, mid, new byte[] { response, (byte)mid }, Lifetime);

    private static async Task<EnqueueStatus> Post(SqliteOutbox outbox, DedupRecord dedup, int n = 0) => (await outbox.EnqueueAsync(Telemetry(n), dedup)).Status;

    [Theory]
    [InlineData(0, 200)]       // three block boundaries (64, 128, 192)
    [InlineData(65_500, 100)]  // the 16-bit Message ID wraps to 0 (RFC 7252 §3)
    public async Task ConsecutiveMessageIds_EachStoredOnce_EveryRetransmissionAnsweredWithItsResponse(int first, int count)
    {
        var mids = Enumerable.Range(first, count).Select(m => m % 65_536).ToArray();
        var (stored, again, depth) = await WithOutbox(async outbox =>
        {
            var stored = new List<EnqueueStatus>();
            foreach (var mid in mids) stored.Add(await Post(outbox, Record("10.0.0.7:5683", mid)));
            var again = new List<EnqueueResult>();
            foreach (var mid in mids) again.Add(await outbox.EnqueueAsync(Telemetry(0), Record("10.0.0.7:5683", mid, 0x99)));
            return (stored, again, (await outbox.GetStatsAsync()).Depth);
        });

        Assert.All(stored, s => Assert.Equal(EnqueueStatus.Committed, s));
        Assert.All(again, r => Assert.Equal(EnqueueStatus.Duplicate, r.Status));
        Assert.Equal(mids.Select(m => new byte[] { 0x41, (byte)m }), again.Select(r => r.CachedResponse.ToArray()));
        Assert.Equal(count, depth);
    }

    [Fact]
    public async Task Retransmission_OfAnEarlierBlock_AfterThePeerMovedOn_IsADuplicate()
    {
        var (late, fresh) = await WithOutbox(async outbox =>
        {
            await Post(outbox, Record("psk:sensor-1", 63));
            await Post(outbox, Record("psk:sensor-1", 64));   // the block of 63 is retired
            await Post(outbox, Record("psk:sensor-1", 130));  // and so is 64's
            return (await Post(outbox, Record("psk:sensor-1", 63)), await Post(outbox, Record("psk:sensor-1", 62)));
        });

        Assert.Equal(EnqueueStatus.Duplicate, late);
        Assert.Equal(EnqueueStatus.Committed, fresh);  // back in a retired block: a new ID there is still new
    }

    [Fact]
    public async Task AlternatingResponses_InOneBlock_EachDuplicateGetsItsOwn()
    {
        var cached = await WithOutbox(async outbox =>
        {
            for (var mid = 0; mid < 6; mid++) Assert.Equal(EnqueueStatus.Committed, await Post(outbox, Record("10.0.0.8:5683", mid, (byte)(mid % 2 == 0 ? 0x41 : 0x44))));
            var cached = new List<byte[]>();
            for (var mid = 0; mid < 6; mid++) cached.Add((await outbox.EnqueueAsync(Telemetry(0), Record("10.0.0.8:5683", mid, 0x99))).CachedResponse.ToArray());
            return cached;
        });

        Assert.Equal(Enumerable.Range(0, 6).Select(m => new byte[] { (byte)(m % 2 == 0 ? 0x41 : 0x44), (byte)m }), cached);
    }

    [Fact]
    public async Task Peers_AreKeptApart()
    {
        var (other, same) = await WithOutbox(async outbox =>
        {
            await Post(outbox, Record("10.0.0.7:5683", 5));
            return (await Post(outbox, Record("10.0.0.7:5684", 5)), await Post(outbox, Record("10.0.0.7:5683", 5)));
        });

        Assert.Equal(EnqueueStatus.Committed, other);
        Assert.Equal(EnqueueStatus.Duplicate, same);
    }

    [Fact]
    public async Task Reopen_CurrentAndRetiredBlocks_StillAnswerRetransmissions()
    {
        await WithOutbox(async outbox =>
        {
            for (var mid = 60; mid < 70; mid++) await Post(outbox, Record("10.0.0.9:5683", mid));
            return 0;
        });

        var (statuses, depth) = await WithOutbox(async outbox =>
        {
            var statuses = new List<EnqueueStatus>();
            for (var mid = 58; mid < 72; mid++) statuses.Add(await Post(outbox, Record("10.0.0.9:5683", mid)));
            return (statuses, (await outbox.GetStatsAsync()).Depth);
        });

        Assert.Equal(Enumerable.Range(58, 14).Select(m => m is >= 60 and < 70 ? EnqueueStatus.Duplicate : EnqueueStatus.Committed), statuses);
        Assert.Equal(14, depth);
    }

    [Fact]
    public async Task Expiry_ABlockLivesUntilItsNewestRecordExpires_ThenEveryIdIsNewAgain()
    {
        var (kept, expired) = await WithOutbox(async outbox =>
        {
            await Post(outbox, Record("10.0.0.7:5683", 1));
            _clock.Advance(TimeSpan.FromSeconds(200));
            await Post(outbox, Record("10.0.0.7:5683", 2));
            _clock.Advance(TimeSpan.FromSeconds(100));  // 300 s after MID 1, 100 s after MID 2
            var kept = await outbox.TryGetDedupAsync("10.0.0.7:5683", 2);
            _clock.Advance(Lifetime);
            var expired = new[] { await outbox.TryGetDedupAsync("10.0.0.7:5683", 1), await outbox.TryGetDedupAsync("10.0.0.7:5683", 2) };
            Assert.Equal(EnqueueStatus.Committed, await Post(outbox, Record("10.0.0.7:5683", 1)));
            return (kept, expired);
        });

        Assert.Equal(new byte[] { 0x41, 2 }, kept);
        Assert.All(expired, Assert.Null);
    }

    [Fact]
    public async Task Expiry_RetiredBlocksArePurged()
    {
        var left = await WithOutbox(async outbox =>
        {
            for (var mid = 0; mid < 200; mid += 64) await Post(outbox, Record("10.0.0.7:5683", mid));
            _clock.Advance(Lifetime + TimeSpan.FromSeconds(2));
            await Post(outbox, Record("10.0.0.6:5683", 1));
            return await outbox.PurgeExpiredAsync();
        });

        using var database = SqliteDatabase.Open(_directory.Options());
        using var connection = database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT (SELECT count(*) FROM dedup_block) + (SELECT count(*) FROM dedup_peer WHERE peer <> '10.0.0.6:5683')";
        Assert.Equal(0L, command.ExecuteScalar());
        Assert.Equal(0, left);
    }

    [Fact]
    public async Task Migration_FromVersion8_KeepsEveryUnexpiredRecord()
    {
        // A version 8 database with rows of the old dedup table, as the telemetry resource (whole exchange key, MID 0),
        // the Exosite resources (an opaque key) and a plain (peer, MID) writer left them.
        using (var database = SqliteDatabase.Open(_directory.Options()))
        using (var connection = database.OpenConnection())
        using (var command = connection.CreateCommand())
        {
            command.CommandText =
                "DROP TABLE dedup_peer; DROP TABLE dedup_block; " +
                "CREATE TABLE dedup (peer TEXT NOT NULL, mid INTEGER NOT NULL, response BLOB NOT NULL, expires_at INTEGER NOT NULL, PRIMARY KEY (peer, mid)) WITHOUT ROWID; " +
                "CREATE INDEX dedup_by_expiry ON dedup (expires_at); " +
                "INSERT INTO dedup VALUES ('10.0.0.7:5683#1234', 0, x'41', 100000), ('10.0.0.7:5683#1235', 0, x'42', 100000), " +
                "('10.0.0.7:5683#63', 0, x'43', 100000), ('10.0.0.7:5683#9', 0, x'44', 0), " +
                "('10.0.0.8:5683#77|0a1b2c3d4e5f6071', 0, x'45', 100000), ('psk:sensor-9', 48879, x'46', 100000); " +
                "PRAGMA user_version=8;";
            command.ExecuteNonQuery();
        }

        var found = await WithOutbox(async outbox =>
        {
            _clock.Advance(TimeSpan.FromSeconds(1));
            return new[]
            {
                await outbox.TryGetDedupAsync("10.0.0.7:5683", 1234), await outbox.TryGetDedupAsync("10.0.0.7:5683", 1235),
                await outbox.TryGetDedupAsync("10.0.0.7:5683", 63), await outbox.TryGetDedupAsync("10.0.0.7:5683", 9),
                await outbox.TryGetDedupAsync("10.0.0.8:5683#77|0a1b2c3d4e5f6071", 0), await outbox.TryGetDedupAsync("psk:sensor-9", 48879),
                await outbox.TryGetDedupAsync("10.0.0.7:5683", 1236),
            };
        });

        Assert.Equal(new byte[]?[] { [0x41], [0x42], [0x43], null, [0x45], [0x46], null }, found);
        using var reopened = SqliteDatabase.Open(_directory.Options());
        using var check = reopened.OpenConnection();
        using var tables = check.CreateCommand();
        tables.CommandText = "SELECT count(*) FROM sqlite_master WHERE name = 'dedup'";
        Assert.Equal(0L, tables.ExecuteScalar());
    }

    public void Dispose() => _directory.Dispose();
}
