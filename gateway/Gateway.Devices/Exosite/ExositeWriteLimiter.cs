namespace Gateway.Devices.Exosite;

/// <summary>
/// One write per dataport per <see cref="ExositeOptions.MinWriteInterval"/> (peers.md §A.1: "Data
/// cannot be written faster than a rate of once per second"). In memory: after a restart the first
/// write is always accepted, which is what a device that just saw the gateway come back expects.
/// Bounded: entries older than the interval are useless and are pruned when the table grows.
/// </summary>
public sealed class ExositeWriteLimiter(ExositeOptions options, TimeProvider time)
{
    private const int PruneThreshold = 4096;
    private readonly Dictionary<(string Device, string Alias), long> _last = [];
    private readonly object _gate = new();

    public int Tracked { get { lock (_gate) return _last.Count; } }

    /// <summary>
    /// Reserves a write to every alias at once, or none when one of them was written within the
    /// interval. Returns the aliases' previous stamps for <see cref="Release"/> if the write then fails.
    /// </summary>
    public bool TryReserve(string device, IReadOnlyList<string> aliases, out long[] previous)
    {
        previous = new long[aliases.Count];
        if (options.MinWriteInterval <= TimeSpan.Zero) return true;
        long now = time.GetTimestamp();
        lock (_gate)
        {
            for (int i = 0; i < aliases.Count; i++)
            {
                if (_last.TryGetValue((device, aliases[i]), out long last) && time.GetElapsedTime(last, now) < options.MinWriteInterval) return false;
            }
            if (_last.Count > PruneThreshold) Prune(now);
            for (int i = 0; i < aliases.Count; i++)
            {
                previous[i] = _last.GetValueOrDefault((device, aliases[i]), long.MinValue);
                _last[(device, aliases[i])] = now;
            }
            return true;
        }
    }

    /// <summary>Undoes a reservation whose write was not stored (a refused write must not delay the retry).</summary>
    public void Release(string device, IReadOnlyList<string> aliases, long[] previous)
    {
        if (options.MinWriteInterval <= TimeSpan.Zero) return;
        lock (_gate)
        {
            for (int i = 0; i < aliases.Count; i++)
            {
                if (previous[i] == long.MinValue) _last.Remove((device, aliases[i]));
                else _last[(device, aliases[i])] = previous[i];
            }
        }
    }

    private void Prune(long now)
    {
        foreach (var (key, last) in _last)
        {
            if (time.GetElapsedTime(last, now) >= options.MinWriteInterval) _last.Remove(key);
        }
    }
}
