using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Gateway.Host.Systemd;

/// <summary>
/// sd_notify(3) without libsystemd: datagrams to <c>$NOTIFY_SOCKET</c> (a leading <c>@</c> is the
/// Linux abstract namespace). A no-op when the variable is absent, i.e. when not started by a
/// <c>Type=notify</c> unit. Also reads the watchdog interval systemd asks for.
/// </summary>
public sealed class SystemdNotifier : IDisposable
{
    private readonly Socket? _socket;
    private readonly UnixDomainSocketEndPoint? _endPoint;
    private readonly Lock _gate = new();

    public SystemdNotifier() : this(Environment.GetEnvironmentVariable) { }

    internal SystemdNotifier(Func<string, string?> environment)
    {
        var path = environment("NOTIFY_SOCKET");
        if (string.IsNullOrEmpty(path)) return;
        if (path[0] == '@') path = "\0" + path[1..];
        _endPoint = new UnixDomainSocketEndPoint(path);
        _socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        if (ulong.TryParse(environment("WATCHDOG_USEC"), NumberStyles.None, CultureInfo.InvariantCulture, out var microseconds) && microseconds > 0)
        {
            // WATCHDOG_PID names the process the watchdog is meant for; a child we started must not feed it.
            var pid = environment("WATCHDOG_PID");
            if (string.IsNullOrEmpty(pid) || pid == Environment.ProcessId.ToString(CultureInfo.InvariantCulture))
            {
                WatchdogTimeout = TimeSpan.FromMicroseconds(microseconds);
            }
        }
    }

    /// <summary>Whether a notify socket is set.</summary>
    public bool Enabled => _socket is not null;

    /// <summary><c>WatchdogSec=</c> of the unit, or null when the watchdog is off.</summary>
    public TimeSpan? WatchdogTimeout { get; }

    /// <summary>Sends one state string such as <c>READY=1</c>; errors are ignored (the manager may be gone during shutdown).</summary>
    public void Notify(string state)
    {
        if (_socket is null) return;
        var bytes = Encoding.UTF8.GetBytes(state);
        lock (_gate)
        {
            try
            {
                _socket.SendTo(bytes, _endPoint!);
            }
            catch (SocketException)
            {
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    public void Dispose()
    {
        lock (_gate) _socket?.Dispose();
    }
}
