using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Gateway.Mqtt.Tests.Interop;

/// <summary>
/// A real mosquitto (Debian 2.0.11) on 127.0.0.1 with a temp config, started and stopped by PID.
/// Missing mosquitto is a failure, not a skip: tests/run installs it.
/// </summary>
public sealed class MosquittoBroker : IDisposable
{
    public const string Binary = "/usr/sbin/mosquitto";
    private readonly string _directory = System.IO.Directory.CreateTempSubdirectory("mqtt-interop-").FullName;
    private readonly string _extraConfig;
    private Process? _process;

    public MosquittoBroker(string extraConfig = "allow_anonymous true\n")
    {
        RequireInstalled();
        _extraConfig = extraConfig;
        Port = FreePort();
        Start();
    }

    public int Port { get; }
    public string Directory => _directory;

    public static void RequireInstalled()
    {
        if (!File.Exists(Binary))
            Assert.Fail($"{Binary} is not installed; tests/run installs it (apt-get install mosquitto mosquitto-clients)");
    }

    public void Start()
    {
        if (_process is { HasExited: false }) return;
        string config = Path.Combine(_directory, "mosquitto.conf");
        // "user root": as root mosquitto would otherwise drop to user mosquitto, which cannot read our temp files.
        File.WriteAllText(config, $"listener {Port} 127.0.0.1\npersistence false\nuser root\nlog_dest stderr\n{_extraConfig}");
        var psi = new ProcessStartInfo(Binary, ["-c", config]) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        _process = Process.Start(psi) ?? throw new InvalidOperationException("mosquitto did not start");
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginErrorReadLine();
        _process.BeginOutputReadLine();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            if (_process.HasExited) Assert.Fail($"mosquitto exited with {_process.ExitCode} (config {config})");
            try
            {
                using var probe = new TcpClient();
                probe.Connect(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(20);
            }
        }
    }

    /// <summary>Kills this broker (by its PID) and waits until it is gone.</summary>
    public void Stop()
    {
        if (_process is null) return;
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit(10_000);
        }
        _process.Dispose();
        _process = null;
    }

    /// <summary>Runs a mosquitto client tool (mosquitto_sub/pub/passwd) with a bounded wait; returns stdout.</summary>
    public static async Task<string> RunToolAsync(string tool, params string[] args)
    {
        var psi = new ProcessStartInfo(tool, args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var process = Process.Start(psi) ?? throw new InvalidOperationException(tool + " did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        try { await process.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException) { process.Kill(); throw new TimeoutException($"{tool} {string.Join(' ', args)} did not finish"); }
        if (process.ExitCode != 0) throw new InvalidOperationException($"{tool} exited {process.ExitCode}: {await stderr}");
        return await stdout;
    }

    public static Process StartTool(string tool, params string[] args)
    {
        var psi = new ProcessStartInfo(tool, args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        return Process.Start(psi) ?? throw new InvalidOperationException(tool + " did not start");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        Stop();
        try { System.IO.Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }
}
