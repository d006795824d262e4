using Gateway.Storage.Outbox;

namespace Gateway.Host.Storage;

/// <summary>
/// The latest outbox figures, refreshed by the health loop and before each scrape, so observable
/// instruments (which must answer synchronously) read a snapshot instead of blocking on the writer.
/// </summary>
public sealed class OutboxStatsSampler(IOutbox outbox, TimeProvider time)
{
    private static readonly OutboxStats Empty = new(0, 0, TimeSpan.Zero, new Dictionary<DropKey, long>(), 0, 0);
    private readonly SemaphoreSlim _refresh = new(1, 1);
    private volatile Snapshot? _current;

    public OutboxStats Current => _current?.Stats ?? Empty;

    /// <summary>Refreshes unless the snapshot is younger than <paramref name="maxAge"/>; returns the figures.</summary>
    public async Task<OutboxStats> RefreshAsync(TimeSpan maxAge, CancellationToken cancellationToken = default)
    {
        if (_current is { } fresh && time.GetElapsedTime(fresh.Taken) < maxAge) return fresh.Stats;
        await _refresh.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_current is { } again && time.GetElapsedTime(again.Taken) < maxAge) return again.Stats;
            var stats = await outbox.GetStatsAsync(cancellationToken).ConfigureAwait(false);
            _current = new Snapshot(stats, time.GetTimestamp());
            return stats;
        }
        finally
        {
            _refresh.Release();
        }
    }

    private sealed record Snapshot(OutboxStats Stats, long Taken);
}
