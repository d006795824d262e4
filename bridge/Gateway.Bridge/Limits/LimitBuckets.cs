namespace Gateway.Bridge.Limits;

/// <summary>
/// Token buckets for one entity's <see cref="RateLimitSet"/>, one per window, each at
/// <c>share</c> of the window's capacity and refill rate and starting full, as bucket4j's greedy
/// bandwidths do (so a full window's burst is allowed, then the rate). What is charged:
/// every entry takes a message token (older ThingsBoard counts every message; newer counts only
/// non-telemetry ones, so this is never under), telemetry entries also take a telemetry-message
/// token and their data points. A cost bigger than a bucket waits for the full bucket and then drives
/// it negative, so it still goes and the long-run rate holds.
/// </summary>
internal sealed class LimitBuckets
{
    private readonly Bucket[] _messages, _telemetry, _dataPoints;

    public LimitBuckets(RateLimitSet set, double share, long now)
    {
        _messages = Of(set.Messages, share, now);
        _telemetry = Of(set.TelemetryMessages, share, now);
        _dataPoints = Of(set.TelemetryDataPoints, share, now);
    }

    public bool IsEmpty => _messages.Length == 0 && _telemetry.Length == 0 && _dataPoints.Length == 0;

    /// <summary>Seconds until <paramref name="messages"/>, <paramref name="telemetry"/> and <paramref name="dataPoints"/> can be taken.</summary>
    public double SecondsUntil(long now, double frequency, int messages, int telemetry, int dataPoints) => Math.Max(
        Math.Max(Max(_messages, now, frequency, messages), Max(_telemetry, now, frequency, telemetry)),
        Max(_dataPoints, now, frequency, dataPoints));

    public void Take(long now, double frequency, int messages, int telemetry, int dataPoints)
    {
        foreach (var b in _messages) b.Take(now, frequency, messages);
        foreach (var b in _telemetry) b.Take(now, frequency, telemetry);
        foreach (var b in _dataPoints) b.Take(now, frequency, dataPoints);
    }

    /// <summary>True when every bucket is full again: forgetting it then changes nothing.</summary>
    public bool IsFull(long now, double frequency) =>
        _messages.All(b => b.IsFull(now, frequency)) && _telemetry.All(b => b.IsFull(now, frequency)) && _dataPoints.All(b => b.IsFull(now, frequency));

    private static Bucket[] Of(IReadOnlyList<RateWindow> windows, double share, long now) =>
        windows.Select(w => new Bucket(Math.Max(1, w.Capacity * share), w.PerSecond * share, now)).ToArray();

    private static double Max(Bucket[] buckets, long now, double frequency, int needed)
    {
        if (needed <= 0) return 0;
        double seconds = 0;
        foreach (var b in buckets) seconds = Math.Max(seconds, b.SecondsUntil(now, frequency, needed));
        return seconds;
    }

    private sealed class Bucket(double capacity, double rate, long stamp)
    {
        private readonly double _capacity = capacity;
        private double _tokens = capacity;
        private long _stamp = stamp;

        public double SecondsUntil(long now, double frequency, int needed)
        {
            Refill(now, frequency);
            double target = Math.Min(needed, _capacity);
            return _tokens >= target ? 0 : (target - _tokens) / rate;
        }

        public void Take(long now, double frequency, int n)
        {
            Refill(now, frequency);
            _tokens -= n;
        }

        public bool IsFull(long now, double frequency)
        {
            Refill(now, frequency);
            return _tokens >= _capacity;
        }

        private void Refill(long now, double frequency)
        {
            if (now <= _stamp) return;
            _tokens = Math.Min(_capacity, _tokens + (now - _stamp) / frequency * rate);
            _stamp = now;
        }
    }
}
