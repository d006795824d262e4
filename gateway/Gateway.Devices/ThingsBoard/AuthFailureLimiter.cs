using Gateway.Devices.Refusals;

namespace Gateway.Devices.ThingsBoard;

/// <summary>
/// Bounds credential guessing per source address (reliability.md §2.4, test S6) without locking out the valid
/// devices that share the address behind a NAT or border router (issue 18).
/// <para>
/// Failures: a token bucket (<see cref="DeviceApiOptions.AuthFailuresPerSecond"/>, burst
/// <see cref="DeviceApiOptions.AuthFailureBurst"/>) decides whether a failure is answered (4.01), and
/// <see cref="DeviceApiOptions.AuthFailuresBeforeSilence"/> failures within <see cref="DeviceApiOptions.AuthFailureWindow"/>
/// <em>limit</em> the source for <see cref="DeviceApiOptions.AuthSilence"/>.
/// </para>
/// <para>
/// While a source is limited, <see cref="Admit"/> decides before any lookup: a credential that authenticated
/// from this address before (within <see cref="DeviceApiOptions.AuthKnownCredentialLifetime"/>) is looked up and
/// served as usual; any other credential is looked up only within <see cref="DeviceApiOptions.AuthLimitedLookupsPerMinute"/>
/// (so a device new to the address still gets in, slowly) and otherwise dropped unanswered. A guess can only become
/// "known" through a lookup that succeeded, so the guessing rate of a limited address stays bounded by that budget,
/// and answers only ever come from real lookups: being known permits a lookup, it does not authenticate.
/// </para>
/// <para>
/// Known credentials are held as the process-randomised 32-bit string hash (never the credential): a collision
/// with a guess only grants that guess one lookup, which then fails like any other. Memory is bounded by
/// <see cref="DeviceApiOptions.AuthTrackedSources"/> × <see cref="DeviceApiOptions.AuthKnownCredentialsPerSource"/>.
/// Both device APIs (ThingsBoard tokens and provisioning keys, Exosite CIKs) on both transports count here, so this
/// is also where refusals are reported to the <see cref="RefusalLog"/>.
/// </para>
/// </summary>
public sealed class AuthFailureLimiter(DeviceApiOptions options, TimeProvider time, RefusalLog? refusals = null)
{
    private readonly Dictionary<string, Entry> _sources = new(StringComparer.Ordinal);
    private readonly object _gate = new();

    /// <summary>Failures that got no answer (rate limited or limited source).</summary>
    public long Suppressed => Interlocked.Read(ref _suppressed);
    private long _suppressed;

    /// <summary>Authentication failures counted (unknown credential or provisioning secret).</summary>
    public long Failures => Interlocked.Read(ref _failures);
    private long _failures;

    /// <summary>Requests from a limited source dropped without a lookup.</summary>
    public long Silenced => Interlocked.Read(ref _silenced);
    private long _silenced;

    /// <summary>Requests from a limited source let through because their credential authenticated from it before.</summary>
    public long KnownWhileLimited => Interlocked.Read(ref _knownWhileLimited);
    private long _knownWhileLimited;

    /// <summary>Credentials unknown at a limited source looked up within its budget (the bounded guessing rate).</summary>
    public long LimitedLookups => Interlocked.Read(ref _limitedLookups);
    private long _limitedLookups;

    /// <summary>Times a source became limited.</summary>
    public long Limits => Interlocked.Read(ref _limits);
    private long _limits;

    public int TrackedSources { get { lock (_gate) return _sources.Count; } }

    /// <summary>Sources limited right now.</summary>
    public int LimitedSources
    {
        get
        {
            long now = time.GetTimestamp();
            lock (_gate) return _sources.Values.Count(e => e.SilencedUntil > now);
        }
    }

    /// <summary>True while <paramref name="source"/> is limited.</summary>
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
    /// <see cref="IsSilenced"/> for a request that carries no device credential (a provisioning request) about to be
    /// dropped without a lookup: counted as refused (<see cref="RefusalKind.SilencedSource"/>) when it is.
    /// </summary>
    public bool RefuseIfSilenced(string source)
    {
        if (!IsSilenced(source)) return false;
        Refuse(source);
        return true;
    }

    /// <summary>
    /// Whether a request of <paramref name="source"/> carrying <paramref name="credential"/> may be looked up; false:
    /// drop it unanswered (already counted as refused). Decided before the lookup, from memory only.
    /// </summary>
    public bool Admit(string source, string? credential)
    {
        long now = time.GetTimestamp();
        lock (_gate)
        {
            if (_sources.Count == 0 || !_sources.TryGetValue(source, out var entry) || entry.SilencedUntil <= now) return true;
            if (credential is not null && entry.Known is { } known && known.TryGetValue(Key(credential), out long seen) && now - seen < Ticks(options.AuthKnownCredentialLifetime))
            {
                _knownWhileLimited++;
                return true;
            }
            // A device new to this address: a slow trickle of lookups, shared with whoever is guessing from it.
            if (options.AuthLimitedLookupsPerMinute > 0 && now >= entry.NextLookup)
            {
                entry.NextLookup = now + LookupInterval;
                _limitedLookups++;
                return true;
            }
        }
        Refuse(source);
        return false;
    }

    /// <summary>Remembers that <paramref name="credential"/> authenticated from <paramref name="source"/>: it is let through while the source is limited.</summary>
    public void RecordSuccess(string source, string credential)
    {
        long now = time.GetTimestamp();
        int key = Key(credential);
        lock (_gate)
        {
            if (!_sources.TryGetValue(source, out var entry))
            {
                if (_sources.Count >= options.AuthTrackedSources) Evict(now);
                entry = new Entry { Tokens = options.AuthFailureBurst, LastRefill = now, WindowStart = now, LastFailure = long.MinValue / 2 };
                _sources[source] = entry;
            }
            entry.LastSuccess = now;
            var known = entry.Known ??= new Dictionary<int, long>();
            if (!known.ContainsKey(key) && known.Count >= options.AuthKnownCredentialsPerSource)
                known.Remove(known.MinBy(pair => pair.Value).Key);
            known[key] = now;
        }
    }

    /// <summary>Counts one failure; true if it may be answered (4.01), false to stay silent.</summary>
    public bool RecordFailure(string source)
    {
        refusals?.Report(RefusalKind.UnknownCredential, source);
        Interlocked.Increment(ref _failures);
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
                entry.SilencedUntil = now + Ticks(options.AuthSilence);
                // The lookup budget starts empty: a limited source gets its first extra lookup only after a full interval.
                entry.NextLookup = now + LookupInterval;
                _limits++;
                return Suppress();
            }
            if (entry.Tokens < 1) return Suppress();
            entry.Tokens -= 1;
            return true;
        }
    }

    private void Refuse(string source)
    {
        Interlocked.Increment(ref _silenced);
        refusals?.Report(RefusalKind.SilencedSource, source);
    }

    private bool Suppress()
    {
        Interlocked.Increment(ref _suppressed);
        return false;
    }

    // Marvin, seeded per process: unpredictable to a guesser, and a collision only buys one lookup (see the summary).
    private static int Key(string credential) => credential.GetHashCode(StringComparison.Ordinal);

    private double Seconds(long ticks) => (double)ticks / time.TimestampFrequency;

    private long LookupInterval => options.AuthLimitedLookupsPerMinute > 0 ? (long)(60 * time.TimestampFrequency / options.AuthLimitedLookupsPerMinute) : long.MaxValue / 4;

    private long Ticks(TimeSpan span) => (long)(span.TotalSeconds * time.TimestampFrequency);

    /// <summary>
    /// Forgets sources that are neither limited, recently failing nor recently successful, else the one whose last
    /// activity is oldest. A source forgotten loses its known credentials and its limit together.
    /// </summary>
    private void Evict(long now)
    {
        long window = Ticks(options.AuthFailureWindow);
        long known = Ticks(options.AuthKnownCredentialLifetime);
        foreach (var (source, entry) in _sources)
        {
            if (entry.SilencedUntil <= now && now - entry.LastFailure >= window && now - entry.LastSuccess >= known) _sources.Remove(source);
        }
        if (_sources.Count < options.AuthTrackedSources) return;
        var oldest = _sources.MinBy(pair => Math.Max(pair.Value.LastFailure, pair.Value.LastSuccess)).Key;
        _sources.Remove(oldest);
    }

    private sealed class Entry
    {
        public double Tokens;
        public long LastRefill, WindowStart, LastFailure, SilencedUntil, NextLookup;
        public long LastSuccess = long.MinValue / 2;
        public int WindowFailures;
        public Dictionary<int, long>? Known;
    }
}
