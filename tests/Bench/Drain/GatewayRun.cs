using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Gateway.Bench.Drain;

/// <summary>A running gateway, stopped by PID (SIGTERM, then SIGKILL after 10 s).</summary>
internal sealed class GatewayRun : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private GatewayRun(Process process, int port)
    {
        _process = process;
        Port = port;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public int Port { get; }

    public int Pid => _process.Id;

    public string Output { get { lock (_output) return _output.ToString(); } }

    public static async Task<GatewayRun> StartAsync(GatewayCommand gateway, string dataDir, int brokerPort, IEnumerable<string> extra)
    {
        int port;
        using (var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
        {
            probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            port = ((IPEndPoint)probe.LocalEndPoint!).Port;
        }
        string P(int n) => n.ToString(CultureInfo.InvariantCulture);
        var psi = gateway.StartInfo(["run", $"--data-dir={dataDir}", $"--Coap:Port={P(port)}", "--Coap:Address=127.0.0.1", "--Http:Port=0", "--Admin:Enabled=false",
            "--Mqtt:Host=127.0.0.1", $"--Mqtt:Port={P(brokerPort)}", "--Mqtt:ClientId=drain-bench-gateway", "--Gateway:HealthIntervalSeconds=0",
            "--Storage:IntegrityCheckOnOpen=None", .. extra]);
        var run = new GatewayRun(Process.Start(psi) ?? throw new InvalidOperationException("the gateway did not start"), port);
        var waited = Stopwatch.StartNew();
        while (!await LivePoster.AnswersAsync(port))
        {
            if (run._process.HasExited || waited.Elapsed > TimeSpan.FromSeconds(60))
            {
                await run.DisposeAsync();
                throw new InvalidOperationException($"the gateway did not answer CoAP within 60 s:\n{run.Output}");
            }
        }
        return run;
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output)
        {
            // The tail is enough for a failure message; a long drain must not grow this without bound.
            if (_output.Length > 1 << 20) _output.Remove(0, _output.Length / 2);
            _output.AppendLine(line);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)])) await kill.WaitForExitAsync();
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try { await _process.WaitForExitAsync(limit.Token); }
            catch (OperationCanceledException) { _process.Kill(); await _process.WaitForExitAsync(); }
        }
        _process.Dispose();
    }
}
