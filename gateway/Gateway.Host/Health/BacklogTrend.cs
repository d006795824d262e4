namespace Gateway.Host.Health;

/// <summary>
/// Where the backlog is heading, from samples of its depth and of the rows the cloud acknowledged:
/// the drain rate, the net rate (drain minus what devices add meanwhile) and, when it shrinks, an
/// estimated time to empty. The window is the last minute, so a reconnect's first burst or a pause
/// of a few seconds does not swing the estimate. Fed by the health loop; not thread-safe.
/// </summary>
public sealed class BacklogTrend(TimeProvider time)
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);
    private readonly Queue<Sample> _samples = new();

    /// <summary>Records the current depth and the running total of rows acknowledged upstream.</summary>
    public void Add(long depth, long rowsForwarded)
    {
        var now = time.GetTimestamp();
        _samples.Enqueue(new Sample(now, depth, rowsForwarded));
        // Keep one sample older than the window, so the rates always span at least the window once it has passed.
        while (_samples.Count > 2 && time.GetElapsedTime(_samples.ElementAt(1).Timestamp, now) >= Window) _samples.Dequeue();
    }

    /// <summary>The rates over the window, or null until two samples at least a second apart exist.</summary>
    public BacklogRates? Rates()
    {
        if (_samples.Count < 2) return null;
        var first = _samples.Peek();
        var last = _samples.Last();
        var seconds = time.GetElapsedTime(first.Timestamp, last.Timestamp).TotalSeconds;
        if (seconds < 1) return null;
        var drain = (last.RowsForwarded - first.RowsForwarded) / seconds;
        var net = (first.Depth - last.Depth) / seconds;
        TimeSpan? emptyIn = last.Depth > 0 && net > 0 ? TimeSpan.FromSeconds(Math.Ceiling(last.Depth / net)) : null;
        return new BacklogRates(drain, net, emptyIn);
    }

    private readonly record struct Sample(long Timestamp, long Depth, long RowsForwarded);
}
