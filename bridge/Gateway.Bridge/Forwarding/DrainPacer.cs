namespace Gateway.Bridge.Forwarding;

/// <summary>
/// Two token buckets (rows/s and PUBLISH/s) refilled continuously, each holding at most one second
/// of its rate, so a backlog drains at the configured pace instead of tripping the cloud's rate
/// limits (thingsboard.md §4.1 <c>getSessionLimits</c> rate strings, §4.4 QUOTA_EXCEEDED closes the
/// connection). A message bigger than a bucket waits until the bucket is full and then drives it
/// negative, so any message eventually goes and the long-run rate still holds. Rate 0 = no limit.
/// </summary>
internal sealed class DrainPacer(double rowsPerSecond, double messagesPerSecond, TimeProvider time)
{
    private readonly Bucket _rows = new(rowsPerSecond, time);
    private readonly Bucket _messages = new(messagesPerSecond, time);

    /// <summary>Total time spent waiting for tokens (a paced drain shows up here).</summary>
    public TimeSpan Waited { get; private set; }

    public async ValueTask WaitAsync(int rows, CancellationToken cancellationToken)
    {
        while (true)
        {
            var wait = Max(_rows.TimeUntil(rows), _messages.TimeUntil(1));
            if (wait <= TimeSpan.Zero) break;
            Waited += wait;
            await Task.Delay(wait, time, cancellationToken).ConfigureAwait(false);
        }
        _rows.Take(rows);
        _messages.Take(1);
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private sealed class Bucket(double rate, TimeProvider time)
    {
        private readonly double _capacity = Math.Max(1, rate);
        private double _tokens = Math.Max(1, rate);
        private long _stamp = time.GetTimestamp();

        public TimeSpan TimeUntil(int needed)
        {
            if (rate <= 0) return TimeSpan.Zero;
            Refill();
            double target = Math.Min(needed, _capacity);
            return _tokens >= target ? TimeSpan.Zero : TimeSpan.FromSeconds((target - _tokens) / rate);
        }

        public void Take(int n)
        {
            if (rate <= 0) return;
            Refill();
            _tokens -= n;
        }

        private void Refill()
        {
            var now = time.GetTimestamp();
            _tokens = Math.Min(_capacity, _tokens + time.GetElapsedTime(_stamp, now).TotalSeconds * rate);
            _stamp = now;
        }
    }
}
