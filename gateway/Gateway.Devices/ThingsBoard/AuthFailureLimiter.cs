using Gateway.Devices.Refusals;

namespace Gateway.Devices.ThingsBoard;

/// <summary>
/// Bounds 4.01 answers per source address (reliability.md §2.4, test S6): a token bucket
/// (<see cref="DeviceApiOptions.AuthFailuresPerSecond"/>, burst <see cref="DeviceApiOptions.AuthFailureBurst"/>)
/// decides whether a failure is answered, and <see cref="DeviceApiOptions.AuthFailuresBeforeSilence"/>
/// failures within <see cref="DeviceApiOptions.AuthFailureWindow"/> silence the source for
/// <see cref="DeviceApiOptions.AuthSilence"/>: while silenced, its requests are not even looked up.
/// Memory is bounded by <see cref="DeviceApiOptions.AuthTrackedSources"/>. Both device APIs (ThingsBoard's
/// tokens and provisioning keys, Exosite's CIKs) on both transports count their failures here, so this is also
/// where they are reported to the <see cref="RefusalLog"/>.
/// </summary>
public sealed class AuthFailureLimiter(DeviceApiOptions options, TimeProvider time, RefusalLog? refusals = null)
{
    private readonly Dictionary<string, Entry> _sources = new(StringComparer.Ordinal);
    private readonly object _gate = new();

    /// <summary>Failures that got no answer (rate limited or silenced).</summary>
    public long Suppressed => Interlocked.Read(ref _suppressed);
    private long _suppressed;

    public int TrackedSources { get { lock (_gate) return _sources.Count; } }

    /// <summary>True while <paramref name="source"/> is silenced: drop its request without a lookup.</summary>
    public bool IsSilenced(string source)
    {
        lock (_gate)
        {
            if (_sources.Count == 0 || !_sources.TryGetValue(source, out var entry)) return false;
            if (entry.SilencedUntil > time.GetTimestamp()) return true;
        }
        return false;
    }

    /// <summary>
    /// <see cref="IsSilenced"/> for a request about to be dropped without a lookup: counted as refused
    /// (<see cref="RefusalKind.SilencedSource"/>) when it is.
    /// </summary>
    public bool RefuseIfSilenced(string source)
    {
        if (!IsSilenced(source)) return false;
        refusals?.Report(RefusalKind.SilencedSource, source);
        return true;
    }

    /// <summary>Counts one failure; true if it may be answered (4.01), false to stay silent.</summary>
    public bool RecordFailure(string source)
    {
        refusals?.Report(RefusalKind.UnknownCredential, source);
        long now = time.GetTimestamp();
        lock (_gate)
        {
            if (!_sources.TryGetValue(source, out var entry))
            {
                if (_sources.Count >= options.AuthTrackedSources) Evict(now);
                entry = new Entry { Tokens = options.AuthFailureBurst, LastRefill = now, WindowStart = now };
                _sources[source] = entry;
            }
            entry.LastFailure = now;
            if (entry.SilencedUntil > now) return Suppress();
            if (Seconds(now - entry.WindowStart) >= options.AuthFailureWindow.TotalSeconds)
            {
                entry.WindowStart = now;
                entry.WindowFailures = 0;
            }
            entry.WindowFailures++;
            entry.Tokens = Math.Min(options.AuthFailureBurst, entry.Tokens + Seconds(now - entry.LastRefill) * options.AuthFailuresPerSecond);
            entry.LastRefill = now;
            if (entry.WindowFailures > options.AuthFailuresBeforeSilence)
            {
                entry.SilencedUntil = now + (long)(options.AuthSilence.TotalSeconds * time.TimestampFrequency);
                return Suppress();
            }
            if (entry.Tokens < 1) return Suppress();
            entry.Tokens -= 1;
            return true;
        }
    }

    private bool Suppress()
    {
        Interlocked.Increment(ref _suppressed);
        return false;
    }

    private double Seconds(long ticks) => (double)ticks / time.TimestampFrequency;

    /// <summary>Forgets sources that are neither silenced nor recently failing, else the least recently failing.</summary>
    private void Evict(long now)
    {
        long window = (long)(options.AuthFailureWindow.TotalSeconds * time.TimestampFrequency);
        foreach (var (source, entry) in _sources)
        {
            if (entry.SilencedUntil <= now && now - entry.LastFailure >= window) _sources.Remove(source);
        }
        if (_sources.Count < options.AuthTrackedSources) return;
        var oldest = _sources.MinBy(pair => pair.Value.LastFailure).Key;
        _sources.Remove(oldest);
    }

    private sealed class Entry
    {
        public double Tokens;
        public long LastRefill, WindowStart, LastFailure, SilencedUntil;
        public int WindowFailures;
    }
}
