using Microsoft.Extensions.Hosting;

namespace Gateway.Host.Health;

/// <summary>
/// Returns the GC heap's free space to the OS once a burst is over (issue 21). The GC keeps the memory a
/// burst made it grow into until later collections, and an idle gateway allocates too little to cause them:
/// after 10,000 Observe registrations the live heap was 16 MiB (gcdump) but 60–120 MiB stayed resident. When
/// the heap committed at the last collection exceeds twice its live size by more than 16 MiB, one aggressive
/// collection releases the rest (a pause of milliseconds for a heap of this size): as soon as the gateway has
/// allocated little for a few seconds (the burst is over), and at least once a minute under steady load.
/// </summary>
public sealed class HeapTrimService(TimeProvider time) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);
    private const int ChecksPerMinute = 30;
    private const long SlackBytes = 16L << 20;
    // Below this many bytes allocated in one interval (1 MiB/s) the gateway is past its burst: trimming
    // earlier would decommit what the GC is about to commit again.
    private const long QuietBytes = 2L << 20;

    /// <summary>Whether the committed heap is worth a trimming collection.</summary>
    public static bool ShouldTrim(long committedBytes, long liveBytes) => committedBytes > 2 * liveBytes + SlackBytes;

    /// <summary>Whether to trim now: the heap is worth it, and the burst is over or a minute has passed.</summary>
    public static bool ShouldTrimNow(long committedBytes, long liveBytes, long allocatedSinceLastCheck, int checksSinceLastTrim) =>
        ShouldTrim(committedBytes, liveBytes) && (allocatedSinceLastCheck < QuietBytes || checksSinceLastTrim >= ChecksPerMinute);

    /// <summary>A blocking, compacting collection that decommits all the free space it can.</summary>
    public static void Trim() => GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        var allocated = GC.GetTotalAllocatedBytes();
        var checks = 0;
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            var last = GC.GetGCMemoryInfo();
            var now = GC.GetTotalAllocatedBytes();
            checks++;
            if (ShouldTrimNow(last.TotalCommittedBytes, last.HeapSizeBytes, now - allocated, checks))
            {
                Trim();
                checks = 0;
            }
            allocated = now;
        }
    }
}
