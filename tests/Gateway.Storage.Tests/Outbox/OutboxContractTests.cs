using System.Text;
using Gateway.Storage.Outbox;
using Gateway.TestKit;

namespace Gateway.Storage.Tests.Outbox;

/// <summary>
/// The <see cref="IOutbox"/> contract, run against every implementation. Sizes are chosen so each
/// row accounts exactly <see cref="RowSize"/> bytes (64 overhead + 5-byte device + 31-byte payload).
/// </summary>
public abstract class OutboxContractTests : IAsyncLifetime
{
    protected const int RowSize = 100;
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);

    private readonly List<IOutbox> _opened = [];

    protected ManualTimeProvider Clock { get; } = new();

    protected WallClockJumpTimeProvider Time { get; }

    protected OutboxContractTests() => Time = new WallClockJumpTimeProvider(Clock);

    /// <summary>Creates the implementation under test; <paramref name="freeBytes"/> is the file-system free-space probe.</summary>
    protected abstract IOutbox Create(StorageOptions options, TimeProvider time, Func<long> freeBytes);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var outbox in _opened)
        {
            await outbox.DisposeAsync();
        }
    }

    private IOutbox Open(long maxQueueBytes = 1 << 20, TimeSpan? maxAge = null, long minFree = 0, Func<long>? freeBytes = null)
    {
        var options = new StorageOptions { MaxQueueBytes = maxQueueBytes, MaxAge = maxAge ?? TimeSpan.FromDays(7), MinFreeBytes = minFree };
        var outbox = Create(options, Time, freeBytes ?? (() => 1L << 40));
        _opened.Add(outbox);
        return outbox;
    }

    protected static OutboxMessage Message(string device, OutboxMessageKind kind, int n, params string[] keys)
    {
        // 31 bytes of payload minus the attribute key bytes keeps every row at RowSize.
        var text = $"{n:D6}".PadRight(31 - keys.Sum(k => k.Length), '.');
        return new OutboxMessage(device, kind, Encoding.ASCII.GetBytes(text))
        {
            ReceivedAt = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero),
            ClockSynced = true,
            AttributeKeys = keys,
        };
    }

    protected static OutboxMessage Telemetry(string device, int n) => Message(device, OutboxMessageKind.Telemetry, n);

    private static async Task<long> Committed(IOutbox outbox, OutboxMessage message, DedupRecord? dedup = null)
    {
        var result = await outbox.EnqueueAsync(message, dedup);
        Assert.Equal(EnqueueStatus.Committed, result.Status);
        return result.Id;
    }

    private static int Number(OutboxEntry entry) => int.Parse(Encoding.ASCII.GetString(entry.Message.Payload.Span)[..6]);

    [Fact]
    public async Task Lease_AfterEnqueues_ReturnsRowsInEnqueueOrderWithTheirFields()
    {
        var outbox = Open();
        var ids = new List<long>();
        for (var i = 0; i < 6; i++)
        {
            ids.Add(await Committed(outbox, Telemetry($"dev-{i % 3}", i)));
        }

        var leased = await outbox.LeaseAsync(100, Lease);

        Assert.Equal(ids, leased.Select(e => e.Id));
        Assert.Equal(Enumerable.Range(0, 6), leased.Select(Number));
        Assert.All(leased, e => Assert.Equal(1, e.Attempts));
        Assert.Equal("dev-1", leased[1].Message.Device);
        Assert.Equal(OutboxMessageKind.Telemetry, leased[1].Message.Kind);
        Assert.True(leased[1].Message.ClockSynced);
        Assert.Equal(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero), leased[1].Message.ReceivedAt);
        Assert.True(ids.SequenceEqual(ids.Order()) && ids.Distinct().Count() == 6);
    }

    [Fact]
    public async Task Lease_DeviceWithRowInFlight_IsSkippedUntilThatRowIsAcked()
    {
        var outbox = Open();
        var a0 = await Committed(outbox, Telemetry("dev-a", 0));
        await Committed(outbox, Telemetry("dev-a", 1));
        var b0 = await Committed(outbox, Telemetry("dev-b", 2));

        var first = await outbox.LeaseAsync(1, Lease);
        var second = await outbox.LeaseAsync(10, Lease);

        Assert.Equal([a0], first.Select(e => e.Id));
        Assert.Equal([b0], second.Select(e => e.Id)); // dev-a's second row must not overtake its first
        await outbox.AckAsync([a0]);
        var third = await outbox.LeaseAsync(10, Lease);
        Assert.Equal([1], third.Select(Number));
    }

    [Fact]
    public async Task Lease_RowsTheCloudAwaits_OvertakeOlderTelemetry_ButNeverADeviceInFlight()
    {
        var outbox = Open();
        for (var i = 0; i < 5; i++)
        {
            await Committed(outbox, Telemetry("dev-a", i));
        }
        await Committed(outbox, Message("dev-b", OutboxMessageKind.RpcReply, 100));
        await Committed(outbox, Message("dev-a", OutboxMessageKind.Claim, 101));
        await Committed(outbox, Telemetry("dev-b", 6));
        await Committed(outbox, Message("dev-c", OutboxMessageKind.AttributeRequest, 102));

        var first = await outbox.LeaseAsync(4, Lease);
        Assert.Equal([100, 101, 102, 0], first.Select(Number));
        Assert.Empty(await outbox.LeaseAsync(10, Lease)); // every device with rows left is in flight

        await outbox.AckAsync(first.Select(e => e.Id).ToList());
        var rest = await outbox.LeaseAsync(10, Lease);
        Assert.Equal([1, 2, 3, 4, 6], rest.Select(Number)); // telemetry still in order per device
        Assert.All(rest, e => Assert.Equal(1, e.Attempts));
    }

    [Fact]
    public async Task Lease_WhenLeaseExpires_RedeliversSameRowsInOrderWithMoreAttempts()
    {
        var outbox = Open();
        for (var i = 0; i < 3; i++)
        {
            await Committed(outbox, Telemetry("dev-a", i));
        }
        var first = await outbox.LeaseAsync(10, Lease);

        Clock.Advance(Lease - TimeSpan.FromSeconds(1));
        Assert.Empty(await outbox.LeaseAsync(10, Lease));
        Clock.Advance(TimeSpan.FromSeconds(1));
        var again = await outbox.LeaseAsync(10, Lease);

        Assert.Equal(first.Select(e => e.Id), again.Select(e => e.Id));
        Assert.All(again, e => Assert.Equal(2, e.Attempts));
    }

    [Fact]
    public async Task Release_MakesRowsLeasableAgainAtOnceAndFirst()
    {
        var outbox = Open();
        var ids = new List<long>();
        for (var i = 0; i < 4; i++)
        {
            ids.Add(await Committed(outbox, Telemetry("dev-a", i)));
        }
        var first = await outbox.LeaseAsync(2, Lease);

        Assert.Equal(2, await outbox.ReleaseAsync(first.Select(e => e.Id).ToList()));
        var again = await outbox.LeaseAsync(10, Lease);

        Assert.Equal(ids, again.Select(e => e.Id));
        Assert.Equal([2, 2, 1, 1], again.Select(e => e.Attempts));
    }

    [Fact]
    public async Task Ack_DeletesRowsAndIgnoresUnknownIds()
    {
        var outbox = Open();
        var a = await Committed(outbox, Telemetry("dev-a", 0));
        var b = await Committed(outbox, Telemetry("dev-b", 1));
        await outbox.LeaseAsync(10, Lease);

        Assert.Equal(1, await outbox.AckAsync([a, 987654]));
        Assert.Equal(0, await outbox.AckAsync([a]));

        var stats = await outbox.GetStatsAsync();
        Assert.Equal(1, stats.Depth);
        Assert.Equal(RowSize, stats.Bytes);
        Assert.Equal(1, await outbox.AckAsync([b]));
        Assert.Equal(0, (await outbox.GetStatsAsync()).Depth);
        Assert.Empty(await outbox.LeaseAsync(10, Lease));
    }

    [Fact]
    public async Task LargeBatch_LeasedReleasedAndAckedAsAWhole_CountsEveryRowOnce()
    {
        // A drain-sized batch: lease, release and ack take a batch's ids in one statement each (SqliteOutbox).
        var outbox = Open(maxQueueBytes: 1 << 24);
        var ids = new List<long>();
        for (int i = 0; i < 3000; i++) ids.Add(await Committed(outbox, Telemetry($"d{i % 100:D4}", i)));

        var first = await outbox.LeaseAsync(3000, Lease);
        Assert.Equal(ids, first.Select(e => e.Id));
        Assert.All(first, e => Assert.Equal(1, e.Attempts));
        Assert.Empty(await outbox.LeaseAsync(10, Lease));
        Assert.Equal(3000, await outbox.ReleaseAsync(ids));

        var second = await outbox.LeaseAsync(3000, Lease);
        Assert.All(second, e => Assert.Equal(2, e.Attempts));
        var acked = ids.Where((_, i) => i % 2 == 0).ToList();
        Assert.Equal(1500, await outbox.AckAsync([.. acked, 987654, 987655]));
        Assert.Equal(1500, await outbox.ReleaseAsync(ids));

        var stats = await outbox.GetStatsAsync();
        Assert.Equal(1500, stats.Depth);
        Assert.Equal(1500 * RowSize, stats.Bytes);
        Assert.Equal(ids.Where((_, i) => i % 2 == 1), (await outbox.LeaseAsync(3000, Lease)).Select(e => e.Id));
    }

    [Fact]
    public async Task DeadLetter_RemovesRowCountsItAndUnblocksTheDevice()
    {
        var outbox = Open();
        var poison = await Committed(outbox, Telemetry("dev-a", 0));
        await Committed(outbox, Telemetry("dev-a", 1));
        await outbox.LeaseAsync(1, Lease);

        Assert.Equal(1, await outbox.DeadLetterAsync([poison], DeadLetterCause.Refused, "PUBACK 0x99 payload format invalid"));

        var stats = await outbox.GetStatsAsync();
        Assert.Equal(1, stats.DeadLetters);
        Assert.Equal(1, stats.Depth);
        Assert.Equal(0, stats.TotalDrops);
        Assert.Equal([1], (await outbox.LeaseAsync(10, Lease)).Select(Number));
    }

    [Fact]
    public async Task Enqueue_RetransmittedRequest_ReturnsCachedResponseAndWritesNoSecondRow()
    {
        var outbox = Open();
        var dedup = new DedupRecord("10.0.0.7:5683", 0x1234, new byte[] { 0x60, 0x44, 0x12, 0x34 }, TimeSpan.FromSeconds(247));
        await Committed(outbox, Telemetry("dev-a", 0), dedup);

        var again = await outbox.EnqueueAsync(Telemetry("dev-a", 0), dedup with { Response = new byte[] { 9 } });

        Assert.Equal(EnqueueStatus.Duplicate, again.Status);
        Assert.Equal(new byte[] { 0x60, 0x44, 0x12, 0x34 }, again.CachedResponse.ToArray());
        Assert.Equal(new byte[] { 0x60, 0x44, 0x12, 0x34 }, await outbox.TryGetDedupAsync("10.0.0.7:5683", 0x1234));
        Assert.Null(await outbox.TryGetDedupAsync("10.0.0.7:5683", 0x1235));
        Assert.Null(await outbox.TryGetDedupAsync("10.0.0.8:5683", 0x1234));
        Assert.Equal(1, (await outbox.GetStatsAsync()).Depth);
    }

    [Fact]
    public async Task Enqueue_ConcurrentRetransmissions_CommitExactlyOneRow()
    {
        var outbox = Open();
        var dedup = new DedupRecord("psk:sensor-1", 7, new byte[] { 1, 2 }, TimeSpan.FromSeconds(247));

        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => outbox.EnqueueAsync(Telemetry("dev-a", 0), dedup).AsTask()));

        Assert.Single(results, r => r.Status == EnqueueStatus.Committed);
        Assert.Equal(19, results.Count(r => r.Status == EnqueueStatus.Duplicate));
        Assert.Equal(1, (await outbox.GetStatsAsync()).Depth);
    }

    [Fact]
    public async Task Dedup_AfterItsLifetime_NoLongerMatches()
    {
        var outbox = Open();
        var dedup = new DedupRecord("10.0.0.7:5683", 1, new byte[] { 1 }, TimeSpan.FromSeconds(247));
        await Committed(outbox, Telemetry("dev-a", 0), dedup);

        Clock.Advance(TimeSpan.FromSeconds(247));

        Assert.Null(await outbox.TryGetDedupAsync("10.0.0.7:5683", 1));
        await Committed(outbox, Telemetry("dev-a", 1), dedup);
        Assert.Equal(2, (await outbox.GetStatsAsync()).Depth);
    }

    [Fact]
    public async Task Enqueue_OverMaxQueueBytes_DropsOldestTelemetryAndCountsEachRow()
    {
        var outbox = Open(maxQueueBytes: 10 * RowSize);
        for (var i = 0; i < 15; i++)
        {
            await Committed(outbox, Telemetry($"dev-{i % 2}", i));
        }

        var stats = await outbox.GetStatsAsync();
        Assert.Equal(10, stats.Depth);
        Assert.Equal(10 * RowSize, stats.Bytes);
        Assert.Equal(5, stats.DropsOf(OutboxMessageKind.Telemetry, DropReason.QueueFull));
        Assert.Equal(5, stats.TotalDrops);
        Assert.Equal(Enumerable.Range(5, 10), (await outbox.LeaseAsync(100, Lease)).Select(Number).Order());
    }

    [Fact]
    public async Task Enqueue_QueueFullOfRowsThatMustNotBeDropped_IsRefusedAndChangesNothing()
    {
        var outbox = Open(maxQueueBytes: 3 * RowSize);
        await Committed(outbox, Message("dev-a", OutboxMessageKind.RpcReply, 0));
        await Committed(outbox, Message("dev-a", OutboxMessageKind.DeviceConnect, 1));
        await Committed(outbox, Message("dev-a", OutboxMessageKind.Claim, 2));

        var refused = await outbox.EnqueueAsync(Telemetry("dev-a", 3));

        Assert.Equal(EnqueueStatus.Refused, refused.Status);
        Assert.Equal(RefusalReason.QueueFull, refused.Refusal);
        Assert.True(refused.RetryAfter > TimeSpan.Zero);
        var stats = await outbox.GetStatsAsync();
        Assert.Equal(3, stats.Depth);
        Assert.Equal(0, stats.TotalDrops);
    }

    [Fact]
    public async Task Enqueue_RefusedRequest_LeavesNoDedupRecord_SoItsRetransmissionIsStoredOnceThereIsRoom()
    {
        var outbox = Open(maxQueueBytes: 2 * RowSize);
        await Committed(outbox, Telemetry("dev-a", 0));
        await Committed(outbox, Telemetry("dev-b", 1));
        var leased = await outbox.LeaseAsync(10, Lease);
        var dedup = new DedupRecord("10.0.0.9:5683", 0x77, new byte[] { 0x41 }, TimeSpan.FromSeconds(247));

        var refused = await outbox.EnqueueAsync(Telemetry("dev-c", 2), dedup);

        Assert.Equal(EnqueueStatus.Refused, refused.Status);
        Assert.Null(await outbox.TryGetDedupAsync("10.0.0.9:5683", 0x77));
        await outbox.AckAsync([.. leased.Select(e => e.Id)]);
        var retried = await outbox.EnqueueAsync(Telemetry("dev-c", 2), dedup);
        Assert.Equal(EnqueueStatus.Committed, retried.Status);
        Assert.Equal(EnqueueStatus.Duplicate, (await outbox.EnqueueAsync(Telemetry("dev-c", 2), dedup)).Status);
        Assert.Equal(1, (await outbox.GetStatsAsync()).Depth);
    }

    [Fact]
    public async Task Enqueue_WhenFull_NeverDropsLeasedTelemetry()
    {
        var outbox = Open(maxQueueBytes: 2 * RowSize);
        await Committed(outbox, Telemetry("dev-a", 0));
        await Committed(outbox, Telemetry("dev-b", 1));
        await outbox.LeaseAsync(10, Lease);

        var refused = await outbox.EnqueueAsync(Telemetry("dev-c", 2));

        Assert.Equal(EnqueueStatus.Refused, refused.Status);
        Clock.Advance(Lease);
        await Committed(outbox, Telemetry("dev-c", 3)); // lease over: the oldest row may go now
        Assert.Equal(1, (await outbox.GetStatsAsync()).DropsOf(OutboxMessageKind.Telemetry, DropReason.QueueFull));
        // Which rows are left, not their order: dev-c's young row is live and is leased first (IOutbox.LeaseAsync).
        Assert.Equal([1, 3], (await outbox.LeaseAsync(10, Lease)).Select(Number).Order());
    }

    [Fact]
    public async Task Enqueue_WhenFull_CompactsAttributesToLatestPerKeyBeforeDroppingTelemetry()
    {
        var outbox = Open(maxQueueBytes: 4 * RowSize);
        await Committed(outbox, Message("dev-a", OutboxMessageKind.ClientAttributes, 0, "fw", "mode"));
        await Committed(outbox, Message("dev-a", OutboxMessageKind.ClientAttributes, 1, "mode"));
        await Committed(outbox, Telemetry("dev-a", 2));
        await Committed(outbox, Message("dev-b", OutboxMessageKind.ClientAttributes, 3, "fw"));

        // Row 0's keys are both set again by later rows of dev-a (row 4 sets "fw"); row 1's "mode" is still the latest.
        await Committed(outbox, Message("dev-a", OutboxMessageKind.ClientAttributes, 4, "fw"));

        var stats = await outbox.GetStatsAsync();
        Assert.Equal(1, stats.DropsOf(OutboxMessageKind.ClientAttributes, DropReason.Compacted));
        Assert.Equal(0, stats.DropsOf(OutboxMessageKind.Telemetry, DropReason.QueueFull));
        Assert.Equal([1, 2, 3, 4], (await outbox.LeaseAsync(10, Lease)).Select(Number));
    }

    [Fact]
    public async Task Enqueue_FullOfLatestAttributeValues_RefusesRatherThanLoseOne()
    {
        var outbox = Open(maxQueueBytes: 3 * RowSize);
        await Committed(outbox, Message("dev-a", OutboxMessageKind.ClientAttributes, 0, "a"));
        await Committed(outbox, Message("dev-a", OutboxMessageKind.ClientAttributes, 1, "b"));
        await Committed(outbox, Message("dev-b", OutboxMessageKind.ClientAttributes, 2, "a"));

        var refused = await outbox.EnqueueAsync(Message("dev-a", OutboxMessageKind.ClientAttributes, 3, "c"));

        Assert.Equal(EnqueueStatus.Refused, refused.Status);
        Assert.Equal(0, (await outbox.GetStatsAsync()).TotalDrops);
        Assert.Equal([0, 1, 2], (await outbox.LeaseAsync(10, Lease)).Select(Number));
    }

    [Fact]
    public async Task Purge_RowsOlderThanMaxAge_ExpireByKindAndAreCounted()
    {
        var outbox = Open(maxAge: TimeSpan.FromHours(1));
        await Committed(outbox, Telemetry("dev-a", 0));
        await Committed(outbox, Message("dev-a", OutboxMessageKind.RpcReply, 1));
        await Committed(outbox, Message("dev-a", OutboxMessageKind.ClientAttributes, 2, "a"));
        await Committed(outbox, Message("dev-a", OutboxMessageKind.DeviceConnect, 3));
        Clock.Advance(TimeSpan.FromMinutes(30));
        await Committed(outbox, Telemetry("dev-b", 4));

        Clock.Advance(TimeSpan.FromMinutes(30));
        var expired = await outbox.PurgeExpiredAsync();

        Assert.Equal(2, expired);
        var stats = await outbox.GetStatsAsync();
        Assert.Equal(1, stats.DropsOf(OutboxMessageKind.Telemetry, DropReason.Expired));
        Assert.Equal(1, stats.DropsOf(OutboxMessageKind.RpcReply, DropReason.Expired));
        Assert.Equal(TimeSpan.FromHours(1), stats.OldestAge);
        Assert.Equal([2, 3, 4], (await outbox.LeaseAsync(10, Lease)).Select(Number));
    }

    [Fact]
    public async Task Purge_AfterWallClockJump_ExpiresNothing()
    {
        var outbox = Open(maxAge: TimeSpan.FromHours(1));
        await Committed(outbox, Telemetry("dev-a", 0));

        Time.JumpWallClock(TimeSpan.FromDays(365)); // NTP arrives after booting at a stale time
        Clock.Advance(TimeSpan.FromMinutes(59));

        Assert.Equal(0, await outbox.PurgeExpiredAsync());
        var stats = await outbox.GetStatsAsync();
        Assert.Equal(1, stats.Depth);
        Assert.Equal(TimeSpan.FromMinutes(59), stats.OldestAge);
    }

    [Fact]
    public async Task Enqueue_BelowFreeSpaceReserve_DropsTelemetryThenRefusesWithDiskReserve()
    {
        const long reserve = 1_000_000;
        var free = reserve + 250;
        var outbox = Open(minFree: reserve, freeBytes: () => free);
        await Committed(outbox, Telemetry("dev-a", 0));
        await Committed(outbox, Telemetry("dev-a", 1));

        free = reserve - 50; // something else filled the disk
        await Committed(outbox, Message("dev-b", OutboxMessageKind.RpcReply, 2));
        var refused = await outbox.EnqueueAsync(Message("dev-b", OutboxMessageKind.RpcReply, 3));

        Assert.Equal(EnqueueStatus.Refused, refused.Status);
        Assert.Equal(RefusalReason.DiskReserve, refused.Refusal);
        var stats = await outbox.GetStatsAsync();
        Assert.Equal(2, stats.DropsOf(OutboxMessageKind.Telemetry, DropReason.DiskReserve));
        Assert.Equal([2], (await outbox.LeaseAsync(10, Lease)).Select(Number));
    }

    [Fact]
    public async Task Stats_ReportDepthBytesAndOldestAge()
    {
        var outbox = Open();
        Assert.Equal(TimeSpan.Zero, (await outbox.GetStatsAsync()).OldestAge);
        await Committed(outbox, Telemetry("dev-a", 0));
        Clock.Advance(TimeSpan.FromSeconds(42));
        await Committed(outbox, Message("dev-a", OutboxMessageKind.ClientAttributes, 1, "k"));

        var stats = await outbox.GetStatsAsync();

        Assert.Equal(2, stats.Depth);
        Assert.Equal(2 * RowSize, stats.Bytes);
        Assert.Equal(TimeSpan.FromSeconds(42), stats.OldestAge);
    }
}
