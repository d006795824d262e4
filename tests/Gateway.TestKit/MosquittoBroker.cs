using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Gateway.TestKit;

/// <summary>
/// A real mosquitto (Debian 2.0.11) on 127.0.0.1 and a free port with a temp config, started and
/// stopped by PID: the cloud for every test that needs one. Missing mosquitto is a failure, not a
/// skip: tests/run installs it.
/// </summary>
public sealed class MosquittoBroker : IDisposable
{
    public const string Binary = "/usr/sbin/mosquitto";
    private readonly string _directory = System.IO.Directory.CreateTempSubdirectory("mosquitto-").FullName;
    private readonly bool _persistent;
    private Process? _process;

    /// <param name="extraConfig">Lines appended to the config (authentication, limits).</param>
    /// <param name="persistent">Keep sessions in the temp directory, so a persistent subscriber survives a graceful restart.</param>
    public MosquittoBroker(string extraConfig = "allow_anonymous true\n", bool persistent = false)
    {
        RequireInstalled();
        ExtraConfig = extraConfig;
        _persistent = persistent;
        Port = FreePort.Tcp();
        Start();
    }

    public int Port { get; }

    /// <summary>Lines appended to the config; a change takes effect at the next <see cref="Start"/> (a restart with new limits).</summary>
    public string ExtraConfig { get; set; }

    public string Directory => _directory;

    public static void RequireInstalled()
    {
        if (!File.Exists(Binary) || !File.Exists("/usr/bin/mosquitto_sub"))
            throw new InvalidOperationException($"{Binary} or mosquitto_sub is not installed; tests/run installs them (apt-get install mosquitto mosquitto-clients)");
    }

    public void Start()
    {
        if (_process is { HasExited: false }) return;
        string config = Path.Combine(_directory, "mosquitto.conf");
        string persistence = _persistent ? $"persistence true\npersistence_location {_directory}/\nmax_queued_messages 100000\n" : "persistence false\n";
        // "user root": as root mosquitto would otherwise drop to user mosquitto, which cannot use our temp directory.
        File.WriteAllText(config, $"listener {Port} 127.0.0.1\n{persistence}user root\nlog_dest stderr\n{ExtraConfig}");
        var psi = new ProcessStartInfo(Binary, ["-c", config]) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        _process = Process.Start(psi) ?? throw new InvalidOperationException("mosquitto did not start");
        _process.ErrorDataReceived += (_, _) => { };
        _process.OutputDataReceived += (_, _) => { };
        _process.BeginErrorReadLine();
        _process.BeginOutputReadLine();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            if (_process.HasExited) throw new InvalidOperationException($"mosquitto exited with {_process.ExitCode} (config {config})");
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

    /// <summary>SIGTERM (mosquitto saves its persistence and exits), SIGKILL if it is still there after 10 s.</summary>
    public void Stop()
    {
        if (_process is null) return;
        if (!_process.HasExited)
        {
            using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) kill.WaitForExit(5000);
            if (!_process.WaitForExit(10_000)) _process.Kill();
        }
        _process.Dispose();
        _process = null;
    }

    /// <summary>Runs a mosquitto client tool (mosquitto_sub/pub/passwd) with a bounded wait; returns stdout, throws on a non-zero exit.</summary>
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

    /// <summary>
    /// <c>mosquitto_sub -t 'v1/gateway/#' -q 1 -v</c> as the cloud, with a persistent session (<c>-c -i</c>)
    /// so what is published while it reconnects after a broker restart is queued for it. Lines land in <paramref name="lines"/>.
    /// </summary>
    public Process StartCloudSubscriber(string clientId, ConcurrentQueue<string> lines, params string[] topics)
    {
        string[] filters = topics.Length == 0 ? ["v1/gateway/#"] : topics;
        var psi = new ProcessStartInfo("mosquitto_sub",
            ["-h", "127.0.0.1", "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), .. filters.SelectMany(t => new[] { "-t", t }), "-q", "1", "-v", "-c", "-i", clientId])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        var process = Process.Start(psi) ?? throw new InvalidOperationException("mosquitto_sub did not start");
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lines.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    public void Dispose()
    {
        Stop();
        try { System.IO.Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }
}
