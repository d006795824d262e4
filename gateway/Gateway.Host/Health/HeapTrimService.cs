using Microsoft.Extensions.Hosting;

namespace Gateway.Host.Health;

/// <summary>
/// Returns the GC heap's free space to the OS once a burst is over (issue 21). The GC keeps the memory a
/// burst made it grow into until later collections, and an idle gateway allocates too little to cause them:
/// after 10,000 Observe registrations the live heap was 16 MiB (gcdump) but 60–120 MiB stayed resident. Once
/// a minute, when the heap committed at the last collection exceeds twice its live size by more than 16 MiB,
/// one aggressive collection releases the rest (a pause of milliseconds for a heap of this size).
/// </summary>
public sealed class HeapTrimService(TimeProvider time) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);
    private const long SlackBytes = 16L << 20;

    /// <summary>Whether the committed heap is worth a trimming collection.</summary>
    public static bool ShouldTrim(long committedBytes, long liveBytes) => committedBytes > 2 * liveBytes + SlackBytes;

    /// <summary>A blocking, compacting collection that decommits all the free space it can.</summary>
    public static void Trim() => GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            var last = GC.GetGCMemoryInfo();
            if (ShouldTrim(last.TotalCommittedBytes, last.HeapSizeBytes)) Trim();
        }
    }
}
