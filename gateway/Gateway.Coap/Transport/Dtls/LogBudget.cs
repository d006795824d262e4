namespace Gateway.Coap.Transport.Dtls;

/// <summary>
/// How many lines of one kind may be logged per window: up to <paramref name="perWindow"/> one by one, the rest only
/// counted and reported together once the window is over. A reconnect storm (every device's DTLS session lost at once)
/// would otherwise write thousands of lines a second (the console logger's thread was 8 % of the gateway's samples in
/// <c>Bench dtls</c>), and journald's default rate limit (10,000 lines per 30 s per service) would then drop the
/// warnings that matter along with them.
/// </summary>
/// <param name="window">The window's length in timestamp ticks (<see cref="TimeProvider.GetTimestamp"/>).</param>
internal sealed class LogBudget(int perWindow, long window)
{
    private readonly object _gate = new();
    private long _windowStart = long.MinValue;
    private int _used;
    private long _suppressed;

    /// <summary>Whether one more line may be logged now; if not, it is counted for <see cref="TakeSuppressed"/>.</summary>
    public bool TryTake(long now)
    {
        lock (_gate)
        {
            if (_windowStart == long.MinValue || now - _windowStart >= window)
            {
                // A new window: the lines held back in the last one are reported by TakeSuppressed first.
                if (_suppressed > 0) return Suppress();
                (_windowStart, _used) = (now, 0);
            }
            if (_used < perWindow)
            {
                _used++;
                return true;
            }
            return Suppress();
        }
    }

    /// <summary>Once a window with suppressed lines is over: how many were held back (then 0 again); else 0.</summary>
    public long TakeSuppressed(long now)
    {
        lock (_gate)
        {
            if (_suppressed == 0 || now - _windowStart < window) return 0;
            long count = _suppressed;
            (_suppressed, _windowStart, _used) = (0, now, 0);
            return count;
        }
    }

    private bool Suppress()
    {
        _suppressed++;
        return false;
    }
}
