using System.Text;
using Gateway.Storage.Outbox;
using Gateway.TestKit;

namespace Gateway.Storage.Tests.Outbox;

/// <summary>What must survive closing and reopening the database (a service restart).</summary>
public sealed class SqliteOutboxRestartTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    private async Task<T> WithOutbox<T>(TimeProvider time, Func<SqliteOutbox, Task<T>> work, StorageOptions? options = null)
    {
        using var database = SqliteDatabase.Open(options ?? _directory.Options());
        await using var outbox = new SqliteOutbox(database, time);
        return await work(outbox);
    }

    private static OutboxMessage Telemetry(string device, string body) => new(device, OutboxMessageKind.Telemetry, Encoding.UTF8.GetBytes(body));

    [Fact]
    public async Task Reopen_UnackedAndLeasedRows_AreDeliveredAgainInOrder()
    {
        var ids = await WithOutbox(new ManualTimeProvider(), async outbox =>
        {
            var a = (await outbox.EnqueueAsync(Telemetry("dev-a", "{\"t\":1}"))).Id;
            var b = (await outbox.EnqueueAsync(Telemetry("dev-a", "{\"t\":2}"))).Id;
            await outbox.LeaseAsync(10, TimeSpan.FromHours(1)); // in flight when the process stops
            return new[] { a, b };
        });

        var leased = await WithOutbox(new ManualTimeProvider(), async outbox => await outbox.LeaseAsync(10, TimeSpan.FromMinutes(1)));

        Assert.Equal(ids, leased.Select(e => e.Id));
        Assert.Equal("{\"t\":1}", Encoding.UTF8.GetString(leased[0].Message.Payload.Span));
        Assert.All(leased, e => Assert.Equal(2, e.Attempts));
    }

    [Fact]
    public async Task Reopen_RetransmissionWithinExchangeLifetime_IsStillADuplicate()
    {
        var dedup = new DedupRecord("psk:sensor-9", 0xBEEF, new byte[] { 0x60, 0x41, 0xBE, 0xEF }, TimeSpan.FromSeconds(247));
        await WithOutbox(new ManualTimeProvider(), async outbox => await outbox.EnqueueAsync(Telemetry("dev-a", "x"), dedup));

        var (again, depth) = await WithOutbox(new ManualTimeProvider(), async outbox =>
        {
            var result = await outbox.EnqueueAsync(Telemetry("dev-a", "x"), dedup);
            return (result, (await outbox.GetStatsAsync()).Depth);
        });

        Assert.Equal(EnqueueStatus.Duplicate, again.Status);
        Assert.Equal(new byte[] { 0x60, 0x41, 0xBE, 0xEF }, again.CachedResponse.ToArray());
        Assert.Equal(1, depth);
    }

    [Fact]
    public async Task Reopen_StoreClockResumesSoAgesAndDropCountsCarryOver()
    {
        var options = _directory.Options();
        options.MaxQueueBytes = 2 * (64 + 5 + 1);
        var first = new ManualTimeProvider();
        await WithOutbox(first, async outbox =>
        {
            for (var i = 0; i < 3; i++)
            {
                await outbox.EnqueueAsync(Telemetry("dev-a", $"{i}"));
            }
            first.Advance(TimeSpan.FromMinutes(10));
            return 0;
        }, options);

        // A new boot: the monotonic clock starts again from zero and the wall clock is 1970.
        var stats = await WithOutbox(new ManualTimeProvider(DateTimeOffset.UnixEpoch), async outbox => await outbox.GetStatsAsync(), options);
        using var cliDatabase = SqliteDatabase.Open(options);
        var fromCli = SqliteOutbox.ReadStats(cliDatabase);

        Assert.Equal(TimeSpan.FromMinutes(10), stats.OldestAge);
        Assert.Equal(1, stats.DropsOf(OutboxMessageKind.Telemetry, DropReason.QueueFull));
        Assert.Equal(2, stats.Depth);
        Assert.Equal(stats.Depth, fromCli.Depth);
        Assert.Equal(stats.Bytes, fromCli.Bytes);
        Assert.Equal(1, fromCli.TotalDrops);
    }

    [Fact]
    public async Task Crash_CostsTheStoreClockUnderASecond_TheClockIsSavedWithCommits()
    {
        var options = _directory.Options();
        var time = new ManualTimeProvider();
        using var database = SqliteDatabase.Open(options);
        await using var outbox = new SqliteOutbox(database, time);
        await outbox.EnqueueAsync(Telemetry("dev-a", "{\"t\":1}"));
        time.Advance(TimeSpan.FromMinutes(10));
        await outbox.EnqueueAsync(Telemetry("dev-a", "{\"t\":2}"));   // this commit saves the clock: 10 min on

        // What a restart after a crash here would resume from (the service never closed): the saved clock.
        using var afterCrash = SqliteDatabase.Open(options);
        Assert.Equal(TimeSpan.FromMinutes(10), SqliteOutbox.ReadStats(afterCrash).OldestAge);
    }

    // Issue 20.5: status said "oldest 0 s" while the service's own figure was 26 s, because the running
    // service saves its clock only with commits (and idle, once a maintenance interval).
    [Fact]
    public async Task ReadStats_WhileTheServiceRuns_AgesFromTheLiveClock_NotTheLastSavedOne()
    {
        var options = _directory.Options();
        var time = new ManualTimeProvider(DateTimeOffset.Parse("2026-12-05T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        using var database = SqliteDatabase.Open(options);
        await using var outbox = new SqliteOutbox(database, time);
        await outbox.EnqueueAsync(Telemetry("dev-a", "{\"t\":1}"));
        time.Advance(TimeSpan.FromSeconds(26)); // no commit since: the saved clock stands still

        using var cliDatabase = SqliteDatabase.Open(options);
        var live = SqliteOutbox.ReadStats(cliDatabase, time.GetUtcNow());
        var stopped = SqliteOutbox.ReadStats(cliDatabase);

        Assert.Equal((await outbox.GetStatsAsync()).OldestAge, live.OldestAge);
        Assert.Equal(TimeSpan.FromSeconds(26), live.OldestAge);
        // A stopped service's clock does not run (StoreClock): its rows do not age while it is off.
        Assert.Equal(TimeSpan.Zero, stopped.OldestAge);
    }

    [Fact]
    public async Task GroupCommit_ManyConcurrentEnqueues_ShareFewCommits()
    {
        var (committed, commits) = await WithOutbox(TimeProvider.System, async outbox =>
        {
            var results = await Task.WhenAll(Enumerable.Range(0, 500).Select(i => outbox.EnqueueAsync(Telemetry($"dev-{i % 9}", $"{i}")).AsTask()));
            return (results.Count(r => r.Status == EnqueueStatus.Committed), (await outbox.GetStatsAsync()).Commits);
        });

        Assert.Equal(500, committed);
        Assert.InRange(commits, 1, 499); // one transaction per row would be 500
    }

    public void Dispose() => _directory.Dispose();
}
