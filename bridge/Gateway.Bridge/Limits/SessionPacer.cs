namespace Gateway.Bridge.Limits;

/// <summary>
/// Paces every upstream PUBLISH below the session limits ThingsBoard announced
/// (<see cref="SessionLimits"/>, thingsboard.md §4.1), per device and for the gateway, so a backlog
/// never trips QUOTA_EXCEEDED, which closes the connection (§4.4). The buckets run at
/// <c>share</c> of each limit (<c>Bridge:SessionLimitsSharePercent</c>) to leave room for the
/// clock and network jitter between the two ends.
/// <para>
/// Live traffic first: the forwarder's drain waits (<see cref="WaitAsync"/>) while the bridge's
/// immediate messages (attribute requests, client-side and service RPC replies) are only charged
/// (<see cref="Charge"/>): they go at once and the drain yields the tokens they took.
/// Without limits (no answer, older ThingsBoard, a plain broker) nothing waits.
/// </para>
/// </summary>
public sealed class SessionPacer(TimeProvider time, double share = 0.95, bool holdUntilFirstAnswer = false)
{
    private static readonly TimeSpan Slice = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MinimumWait = TimeSpan.FromMilliseconds(1);

    /// <summary>Devices with buckets kept at most; the full ones are forgotten first (a fresh bucket is full too).</summary>
    private const int MaxDevices = 4096;

    private readonly Lock _gate = new();
    private readonly Dictionary<string, LimitBuckets> _devices = new(StringComparer.Ordinal);
    private SessionLimits _limits = SessionLimits.None;
    private LimitBuckets? _gateway;
    private long _paced, _waitedTicks;
    // Until the first answer (or its timeout) nothing goes: a backlog at full speed in the meantime could trip the limit.
    private readonly TaskCompletionSource _firstAnswer = NewReleased(holdUntilFirstAnswer);

    /// <summary>The limits in force (<see cref="SessionLimits.None"/> until the server announced some).</summary>
    public SessionLimits Limits { get { lock (_gate) return _limits; } }

    /// <summary>PUBLISHes that had to wait for a limit.</summary>
    public long Paced => Interlocked.Read(ref _paced);

    /// <summary>Total time the drain waited for the limits.</summary>
    public TimeSpan Waited => TimeSpan.FromTicks(Interlocked.Read(ref _waitedTicks));

    /// <summary>
    /// Rows a lease may carry so that one message costs at most a quarter of the gateway's smallest
    /// data-point bucket (a row has at least one data point): arrivals bunched by jitter then still fit
    /// the server's bucket. 0 when there is no data-point limit.
    /// </summary>
    public int RowsPerLease
    {
        get
        {
            var windows = Limits.Gateway.TelemetryDataPoints;
            return windows.Count == 0 ? 0 : (int)Math.Max(1, windows.Min(w => w.Capacity) * share / 4);
        }
    }

    /// <summary>False while the pacer holds everything back until the first <c>getSessionLimits</c> answer or its timeout.</summary>
    public bool Released => _firstAnswer.Task.IsCompleted;

    /// <summary>Ends the hold without limits: the server did not answer (older ThingsBoard, a plain broker), so nothing is paced.</summary>
    public void Release() => _firstAnswer.TrySetResult();

    /// <summary>Replaces the limits (after each answer to <c>getSessionLimits</c>); the buckets start full again.</summary>
    public void Apply(SessionLimits limits)
    {
        _firstAnswer.TrySetResult();
        lock (_gate)
        {
            _limits = limits;
            var gateway = new LimitBuckets(limits.Gateway, share, time.GetTimestamp());
            _gateway = gateway.IsEmpty ? null : gateway;
            _devices.Clear();
        }
    }

    /// <summary>
    /// Waits until every entry fits its device's and the gateway's buckets, then takes the tokens.
    /// Waits in slices of at most a second, calling <paramref name="beat"/> after each, so a long wait
    /// (a per-minute window) still shows the caller's loop alive.
    /// </summary>
    public ValueTask WaitAsync(IReadOnlyList<UplinkEntry> entries, CancellationToken cancellationToken, Action? beat = null) =>
        WaitAsync(() => entries, cancellationToken, beat);

    /// <summary>
    /// As <see cref="WaitAsync(IReadOnlyList{UplinkEntry}, CancellationToken, Action?)"/>, asking for the entries only
    /// while limits are in force: counting a drain message's data points parses every row, which was a tenth of the
    /// gateway's CPU in a drain against a plain broker (docs/performance.md, "The drain and delayed ACKs").
    /// </summary>
    public async ValueTask WaitAsync(Func<IReadOnlyList<UplinkEntry>> entries, CancellationToken cancellationToken, Action? beat = null)
    {
        while (!_firstAnswer.Task.IsCompleted)
        {
            await Task.WhenAny(_firstAnswer.Task, Task.Delay(Slice, time, cancellationToken)).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            beat?.Invoke();
        }
        bool waited = false;
        IReadOnlyList<UplinkEntry>? counted = null;
        while (true)
        {
            TimeSpan wait = TimeSpan.Zero;
            lock (_gate)
            {
                if (!LimitingLocked) break;
                if (counted is not null)
                {
                    wait = TimeUntil(counted);
                    if (wait <= TimeSpan.Zero)
                    {
                        TakeLocked(counted);
                        break;
                    }
                }
            }
            // Limits are in force: count the entries (outside the lock; it parses rows) and look again.
            if (counted is null)
            {
                counted = entries();
                continue;
            }
            if (!waited) Interlocked.Increment(ref _paced);
            waited = true;
            if (wait > Slice) wait = Slice;
            // Task.Delay counts whole milliseconds and completes a shorter delay at once: the loop would spin
            // on a clock that has not moved (a bucket a hair short of a token after a refill).
            if (wait < MinimumWait) wait = MinimumWait;
            Interlocked.Add(ref _waitedTicks, wait.Ticks);
            await Task.Delay(wait, time, cancellationToken).ConfigureAwait(false);
            beat?.Invoke();
        }
    }

    /// <summary>Takes the tokens without waiting: the message goes now, later drain messages wait longer.</summary>
    public void Charge(IReadOnlyList<UplinkEntry> entries)
    {
        lock (_gate) TakeLocked(entries);
    }

    private bool LimitingLocked => _gateway is not null || !_limits.Device.IsEmpty;

    private TimeSpan TimeUntil(IReadOnlyList<UplinkEntry> entries)
    {
        if (!LimitingLocked) return TimeSpan.Zero;
        long now = time.GetTimestamp();
        double frequency = time.TimestampFrequency;
        double seconds = 0;
        int messages = 0, telemetry = 0, dataPoints = 0;
        foreach (var group in entries.GroupBy(e => e.Device, StringComparer.Ordinal))
        {
            var (m, t, d) = Sum(group);
            messages += m;
            telemetry += t;
            dataPoints += d;
            if (DeviceBuckets(group.Key, now) is { } device) seconds = Math.Max(seconds, device.SecondsUntil(now, frequency, m, t, d));
        }
        if (_gateway is not null) seconds = Math.Max(seconds, _gateway.SecondsUntil(now, frequency, messages, telemetry, dataPoints));
        // Whole ticks, rounded up, so the delay never ends a hair before the tokens are there.
        return seconds <= 0 ? TimeSpan.Zero : TimeSpan.FromTicks(Math.Max(1, (long)Math.Ceiling(seconds * TimeSpan.TicksPerSecond)));
    }

    private void TakeLocked(IReadOnlyList<UplinkEntry> entries)
    {
        if (!LimitingLocked) return;
        long now = time.GetTimestamp();
        double frequency = time.TimestampFrequency;
        foreach (var group in entries.GroupBy(e => e.Device, StringComparer.Ordinal))
        {
            var (m, t, d) = Sum(group);
            DeviceBuckets(group.Key, now)?.Take(now, frequency, m, t, d);
            _gateway?.Take(now, frequency, m, t, d);
        }
    }

    private LimitBuckets? DeviceBuckets(string device, long now)
    {
        if (_limits.Device.IsEmpty) return null;
        if (_devices.TryGetValue(device, out var buckets)) return buckets;
        if (_devices.Count >= MaxDevices)
        {
            var frequency = time.TimestampFrequency;
            foreach (var full in _devices.Where(d => d.Value.IsFull(now, frequency)).Select(d => d.Key).ToList()) _devices.Remove(full);
        }
        // Beyond the bound with none full, a new device still gets its own full buckets; the gateway's hold the total.
        buckets = new LimitBuckets(_limits.Device, share, now);
        if (_devices.Count < MaxDevices) _devices[device] = buckets;
        return buckets;
    }

    private static TaskCompletionSource NewReleased(bool hold)
    {
        var source = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!hold) source.SetResult();
        return source;
    }

    private static (int Messages, int Telemetry, int DataPoints) Sum(IEnumerable<UplinkEntry> entries)
    {
        int m = 0, t = 0, d = 0;
        foreach (var e in entries)
        {
            m++;
            if (!e.Telemetry) continue;
            t++;
            d += e.DataPoints;
        }
        return (m, t, d);
    }
}
