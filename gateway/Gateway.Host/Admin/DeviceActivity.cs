using System.Collections.Concurrent;

namespace Gateway.Host.Admin;

/// <summary>
/// Per device, the rows it handed to the outbox since the service started and when it last did
/// (counted by <see cref="CountingOutbox"/>). Bounded by the devices that can authenticate: only
/// they get rows into the outbox. In memory only; a restart starts from zero (the page says so).
/// </summary>
public sealed class DeviceActivity(TimeProvider time)
{
    private readonly ConcurrentDictionary<string, Entry> _devices = new(StringComparer.Ordinal);
    private long _total;

    /// <summary>Rows accepted from all devices since start.</summary>
    public long Total => Interlocked.Read(ref _total);

    public void Seen(string device)
    {
        Interlocked.Increment(ref _total);
        var entry = _devices.GetOrAdd(device, static _ => new Entry());
        Interlocked.Increment(ref entry.Messages);
        Interlocked.Exchange(ref entry.LastSeenUnixMs, time.GetUtcNow().ToUnixTimeMilliseconds());
    }

    /// <summary>(messages, last seen) of a device, or null if it sent nothing since start.</summary>
    public (long Messages, DateTimeOffset LastSeen)? Of(string device) =>
        _devices.TryGetValue(device, out var entry)
            ? (Interlocked.Read(ref entry.Messages), DateTimeOffset.FromUnixTimeMilliseconds(Interlocked.Read(ref entry.LastSeenUnixMs)))
            : null;

    private sealed class Entry
    {
        public long Messages;
        public long LastSeenUnixMs;
    }
}
