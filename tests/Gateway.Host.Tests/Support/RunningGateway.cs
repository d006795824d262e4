using Gateway.TestKit;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using System.Text;

namespace Gateway.Host.Tests.Support;

/// <summary>
/// <c>coap-gateway run</c> on free CoAP and HTTP ports in its own data directory, stopped by PID
/// with SIGTERM (what systemd sends), SIGKILL after a bound.
/// </summary>
public sealed class RunningGateway : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output;

    private RunningGateway(Process process, StringBuilder output, int coapPort, int httpPort, string dataDir)
    {
        _process = process;
        _output = output;
        CoapPort = coapPort;
        HttpPort = httpPort;
        DataDir = dataDir;
    }

    public int CoapPort { get; }

    public int HttpPort { get; }

    public string DataDir { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public IPEndPoint CoapEndPoint => new(IPAddress.IPv6Loopback, CoapPort);

    public Uri HttpBase => new($"http://127.0.0.1:{HttpPort}/");

    public string Output { get { lock (_output) return _output.ToString(); } }

    /// <summary>
    /// Launches the service; does not wait for it (use <see cref="WaitHealthyAsync"/> or the notify socket). With
    /// <paramref name="readOutput"/> false its standard output and error stay unread (a stalled log) until <see cref="ReadOutput"/>.
    /// </summary>
    public static RunningGateway Launch(string dataDir, IEnumerable<string>? extra = null, IReadOnlyDictionary<string, string>? environment = null, bool http = true, bool readOutput = true)
    {
        var coapPort = FreePort.Udp();
        var httpPort = http ? FreePort.Tcp() : 0;
        var output = new StringBuilder();
        string[] arguments = ["run", $"--Coap:Port={coapPort}", "--Coap:Address=::", $"--Http:Port={httpPort}", "--data-dir", dataDir, .. extra ?? []];
        var process = GatewayExecutable.Launch(Path.GetDirectoryName(Path.GetFullPath(dataDir))!, arguments, output, environment, readOutput);
        return new RunningGateway(process, output, coapPort, httpPort, dataDir);
    }

    /// <summary>Starts the service and waits until <c>/healthz</c> answers 200.</summary>
    public static async Task<RunningGateway> StartAsync(string dataDir, IEnumerable<string>? extra = null, bool readOutput = true)
    {
        Directory.CreateDirectory(dataDir);
        var gateway = Launch(dataDir, extra, readOutput: readOutput);
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(20) && !gateway.HasExited)
        {
            try
            {
                using var response = await client.GetAsync(new Uri(gateway.HttpBase, "healthz"));
                if (response.IsSuccessStatusCode) return gateway;
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }
            await Task.Delay(100);
        }
        var output = gateway.Output;
        await gateway.DisposeAsync();
        throw new InvalidOperationException($"The gateway did not become healthy.\n{output}");
    }

    /// <summary>Starts reading the output of a gateway launched without reading it.</summary>
    public void ReadOutput()
    {
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public void Signal(int signal)
    {
        if (Kill(Pid, signal) != 0) throw new InvalidOperationException($"kill({Pid}, {signal}) failed");
    }

    /// <summary>SIGTERM, then waits up to 15 s; returns the exit code, or null if it had to be killed.</summary>
    public async Task<int?> StopAsync()
    {
        if (_process.HasExited) return _process.ExitCode;
        Signal(15);
        using (var limit = new CancellationTokenSource(TimeSpan.FromSeconds(15)))
        {
            try
            {
                await _process.WaitForExitAsync(limit.Token);
                _process.WaitForExit(); // flushes the output readers
                return _process.ExitCode;
            }
            catch (OperationCanceledException)
            {
            }
        }
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        return null;
    }

    public async Task<int?> WaitForExitAsync(TimeSpan limit)
    {
        using var cancel = new CancellationTokenSource(limit);
        try
        {
            await _process.WaitForExitAsync(cancel.Token);
            _process.WaitForExit();
            return _process.ExitCode;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process.Dispose();
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"gateway pid {Pid}, coap {CoapPort}, http {HttpPort}\n{Output}");

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
