using System.Globalization;

namespace Gateway.Host.Systemd;

/// <summary>
/// The watchdog interval systemd asks for (<c>WatchdogSec=</c>, passed as <c>WATCHDOG_USEC</c>).
/// Microsoft.Extensions.Hosting.Systemd sends READY=1 and STOPPING=1 but does not read it, so the
/// health loop pings WATCHDOG=1 itself, through the library's <c>ISystemdNotifier</c>.
/// </summary>
public sealed class SystemdWatchdog
{
    public SystemdWatchdog(Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        if (!ulong.TryParse(environment("WATCHDOG_USEC"), NumberStyles.None, CultureInfo.InvariantCulture, out var microseconds) || microseconds == 0) return;
        // WATCHDOG_PID names the process the watchdog is meant for; a child we started must not feed it.
        var pid = environment("WATCHDOG_PID");
        if (string.IsNullOrEmpty(pid) || pid == Environment.ProcessId.ToString(CultureInfo.InvariantCulture))
        {
            Timeout = TimeSpan.FromMicroseconds(microseconds);
        }
    }

    /// <summary><c>WatchdogSec=</c> of the unit, or null when the watchdog is off.</summary>
    public TimeSpan? Timeout { get; }
}
