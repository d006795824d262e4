using System.Net;

namespace Gateway.Host.Admin;

/// <summary>
/// Slows password guessing on a widened admin listener: after <see cref="MaxFailures"/> wrong
/// credentials from one address within <see cref="Window"/>, that address gets 429 without a
/// password check until the window that began with its first failure ends. Checking first also keeps
/// a flood of guesses from costing one PBKDF2 derivation each. A request without credentials is the
/// browser's normal first step (RFC 7617 §2) and does not count. At most <see cref="MaxAddresses"/>
/// addresses are tracked; once that many are failing at once, further addresses share one entry, so
/// a spread-out attack is limited together rather than growing the table.
/// </summary>
public sealed class AuthenticationThrottle(TimeProvider time)
{
    public const int MaxFailures = 10;
    public const int MaxAddresses = 1024;
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    private static readonly IPAddress Overflow = IPAddress.None;
    private readonly Dictionary<IPAddress, Failures> _failures = [];
    private readonly Lock _gate = new();

    /// <summary>How long <paramref name="address"/> must wait before its credentials are checked again; zero when they may be checked now.</summary>
    public TimeSpan RetryAfter(IPAddress? address)
    {
        var now = time.GetTimestamp();
        lock (_gate)
        {
            if (!_failures.TryGetValue(TrackedKey(address), out var failures) || failures.Count < MaxFailures) return TimeSpan.Zero;
            var left = Window - time.GetElapsedTime(failures.Since, now);
            return left > TimeSpan.Zero ? left : TimeSpan.Zero;
        }
    }

    /// <summary>Counts a wrong credential from <paramref name="address"/>.</summary>
    public void Failed(IPAddress? address)
    {
        var now = time.GetTimestamp();
        lock (_gate)
        {
            if (!_failures.ContainsKey(Key(address)) && _failures.Count >= MaxAddresses)
                foreach (var (old, entry) in _failures)
                    if (time.GetElapsedTime(entry.Since, now) >= Window) _failures.Remove(old);
            var key = TrackedKey(address);
            if (!_failures.TryGetValue(key, out var failures) || time.GetElapsedTime(failures.Since, now) >= Window)
                failures = new Failures(now, 0);
            _failures[key] = failures with { Count = failures.Count + 1 };
        }
    }

    /// <summary>A right credential clears the address's count.</summary>
    public void Succeeded(IPAddress? address)
    {
        lock (_gate) _failures.Remove(Key(address));
    }

    /// <summary>The address's own entry, or the shared one when the table is full and the address has none. Under the gate.</summary>
    private IPAddress TrackedKey(IPAddress? address)
    {
        var key = Key(address);
        return !_failures.ContainsKey(key) && _failures.Count >= MaxAddresses ? Overflow : key;
    }

    // An IPv4 client on a dual-stack socket appears as ::ffff:a.b.c.d; one client, one entry.
    private static IPAddress Key(IPAddress? address) =>
        address is null ? Overflow : address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    private readonly record struct Failures(long Since, int Count);
}
