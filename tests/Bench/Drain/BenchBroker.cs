using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Gateway.Bench.Drain;

/// <summary>
/// A throwaway mosquitto on a free loopback port, in its own directory, stopped by PID: one per
/// measurement, so no sender inherits another's sessions or queued state.
/// </summary>
internal sealed class BenchBroker : IDisposable
{
    public const string Binary = "/usr/sbin/mosquitto";
    private readonly Process _process;
    private readonly string _directory;

    private BenchBroker(Process process, int port, string directory) { _process = process; Port = port; _directory = directory; }

    public int Port { get; }

    /// <summary>The <c>mosquitto -h</c> version line, for the table's conditions.</summary>
    public static string Version()
    {
        using var process = Process.Start(new ProcessStartInfo(Binary, ["-h"]) { UseShellExecute = false, RedirectStandardOutput = true })!;
        var first = process.StandardOutput.ReadLine() ?? "";
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return first.Trim();
    }

    /// <summary>
    /// Persistence off, no logging, <c>max_inflight_messages 0</c> (the broker announces no Receive
    /// Maximum, so each sender's own window is what limits it) and <c>max_queued_messages 0</c> (a
    /// subscriber that falls behind loses nothing: every row is counted). <paramref name="noDelay"/>: TCP_NODELAY on
    /// the broker's sockets (<c>set_tcp_nodelay</c>, off by default in mosquitto).
    /// </summary>
    public static BenchBroker Start(string parent, bool noDelay = false)
    {
        if (!File.Exists(Binary)) throw new InvalidOperationException($"{Binary} is not installed; tests/run installs it");
        var directory = Directory.CreateDirectory(Path.Combine(parent, $"mosquitto-{Guid.NewGuid():N}")).FullName;
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0)) { listener.Start(); port = ((IPEndPoint)listener.LocalEndpoint).Port; }
        var config = Path.Combine(directory, "mosquitto.conf");
        File.WriteAllText(config, $"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\nuser root\nlog_dest none\nmax_inflight_messages 0\nmax_queued_messages 0\n" +
            (noDelay ? "set_tcp_nodelay true\n" : ""));
        var process = Process.Start(new ProcessStartInfo(Binary, ["-c", config]) { UseShellExecute = false, RedirectStandardError = true }) ?? throw new InvalidOperationException("mosquitto did not start");
        process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            try { using var probe = new TcpClient(); probe.Connect(IPAddress.Loopback, port); break; }
            catch (SocketException) when (DateTime.UtcNow < deadline && !process.HasExited) { Thread.Sleep(20); }
        }
        return new BenchBroker(process, port, directory);
    }

    public void Dispose()
    {
        if (!_process.HasExited) { _process.Kill(); _process.WaitForExit(10_000); }
        _process.Dispose();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }
}
