using Gateway.Storage.Outbox;
using Xunit.Abstractions;

namespace Gateway.Storage.Tests.Outbox;

/// <summary>
/// The outbox on a nearly full file system (reference/reliability.md R6): a 3 MiB tmpfs with a
/// 1 MiB ballast file that the test deletes to "free space". Without root these tests print
/// SKIPPED and pass (see <see cref="TmpfsMount"/>).
/// </summary>
public sealed class OutboxDiskFullTests(ITestOutputHelper output)
{
    private const int Ballast = 1 << 20;

    private static OutboxMessage Reply(int n) =>
        new("dev-a", OutboxMessageKind.RpcReply, new byte[1000]) { ReceivedAt = DateTimeOffset.UnixEpoch.AddSeconds(n) };

    [Fact]
    public async Task Enospc_RefusesWithDiskFullKeepsEveryAckedRowAndRecoversWhenSpaceIsFreed()
    {
        using var mount = TmpfsMount.TryMount(3 << 20, out var reason);
        if (mount is null)
        {
            output.WriteLine($"SKIPPED: {reason}");
            return;
        }
        var ballast = Path.Combine(mount.Path, "ballast");
        File.WriteAllBytes(ballast, new byte[Ballast]);
        // The reserve check is disabled (free space reported as plenty), so SQLite really meets ENOSPC.
        var options = new StorageOptions { DataDir = Path.Combine(mount.Path, "data"), MinFreeBytes = 0 };
        var database = SqliteDatabase.Open(options);
        var outbox = new SqliteOutbox(database, freeBytes: () => long.MaxValue / 4);

        var acked = new List<long>();
        EnqueueResult refused = default;
        for (var i = 0; i < 20_000 && refused.Status != EnqueueStatus.Refused; i++)
        {
            var result = await outbox.EnqueueAsync(Reply(i));
            if (result.Status == EnqueueStatus.Committed)
            {
                acked.Add(result.Id);
            }
            else
            {
                refused = result;
            }
        }
        output.WriteLine($"{acked.Count} rows acknowledged before the disk was full");

        Assert.Equal(EnqueueStatus.Refused, refused.Status);
        Assert.Equal(RefusalReason.DiskFull, refused.Refusal);
        var burst = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => outbox.EnqueueAsync(Reply(i)).AsTask()));
        Assert.All(burst, r => Assert.Equal(EnqueueStatus.Refused, r.Status));
        Assert.Equal(["ok"], database.CheckIntegrity());

        File.Delete(ballast);
        var afterFree = await outbox.EnqueueAsync(Reply(-1));
        Assert.Equal(EnqueueStatus.Committed, afterFree.Status);
        acked.Add(afterFree.Id);

        await outbox.DisposeAsync();
        database.Dispose();
        using var reopened = SqliteDatabase.Open(new StorageOptions { DataDir = options.DataDir, IntegrityCheckOnOpen = IntegrityCheck.Full });
        await using var again = new SqliteOutbox(reopened);
        var stored = await again.LeaseAsync(100_000, TimeSpan.FromMinutes(1));
        Assert.Equal(acked, stored.Select(e => e.Id));
    }

    [Fact]
    public async Task FreeSpaceReserve_RefusesBeforeEnospcThenAcceptsWhenSpaceIsFreed()
    {
        using var mount = TmpfsMount.TryMount(3 << 20, out var reason);
        if (mount is null)
        {
            output.WriteLine($"SKIPPED: {reason}");
            return;
        }
        var ballast = Path.Combine(mount.Path, "ballast");
        File.WriteAllBytes(ballast, new byte[Ballast]);
        var options = new StorageOptions { DataDir = Path.Combine(mount.Path, "data"), MinFreeBytes = 1 << 20 };
        using var database = SqliteDatabase.Open(options);
        await using var outbox = new SqliteOutbox(database); // the real statvfs probe

        var acked = 0;
        EnqueueResult last;
        do
        {
            last = await outbox.EnqueueAsync(Reply(acked));
            acked += last.Status == EnqueueStatus.Committed ? 1 : 0;
        }
        while (last.Status == EnqueueStatus.Committed && acked < 20_000);
        output.WriteLine($"{acked} rows acknowledged before the reserve was reached");

        Assert.Equal(RefusalReason.DiskReserve, last.Refusal);
        Assert.True(last.RetryAfter > TimeSpan.Zero);
        Assert.Equal(acked, (await outbox.GetStatsAsync()).Depth);

        File.Delete(ballast);
        Assert.Equal(EnqueueStatus.Committed, (await outbox.EnqueueAsync(Reply(-1))).Status);
        Assert.Equal(acked + 1, (await outbox.GetStatsAsync()).Depth);
        Assert.Equal(["ok"], database.CheckIntegrity());
    }
}
