using Gateway.TestKit;
using System.Diagnostics;
using System.Net;
using System.Text;

namespace Gateway.Interop.Tests.Support;

/// <summary>
/// The real <c>coap-gateway</c> executable, started with <c>dotnet coap-gateway.dll run</c> on a free
/// UDP port and stopped by PID: SIGTERM first (what systemd sends), SIGKILL after a bound.
/// </summary>
public sealed class GatewayProcess : IAsyncDisposable
{
    private static readonly TimeSpan ReadyLimit = TimeSpan.FromSeconds(10), StopLimit = TimeSpan.FromSeconds(10);
    private readonly Process _process;
    private readonly StringBuilder _output;

    private GatewayProcess(Process process, int port, StringBuilder output)
    {
        _process = process;
        Port = port;
        _output = output;
    }

    public int Port { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public IPEndPoint IPv6EndPoint => new(IPAddress.IPv6Loopback, Port);

    public IPEndPoint IPv4EndPoint => new(IPAddress.Loopback, Port);

    /// <summary>What the process printed so far (its console log), for failure messages.</summary>
    public string Output { get { lock (_output) return _output.ToString(); } }

    /// <summary>The gateway assembly, copied next to the tests by the project reference to Gateway.Host.</summary>
    public static string AssemblyPath
    {
        get
        {
            string path = Path.Combine(AppContext.BaseDirectory, "coap-gateway.dll");
            if (!File.Exists(path)) throw new InvalidOperationException($"{path} is missing: the test project must reference gateway/Gateway.Host.");
            return path;
        }
    }

    /// <summary>Runs <c>dotnet coap-gateway.dll</c> with the given arguments and does not wait for it.</summary>
    public static Process Launch(IEnumerable<string> arguments, StringBuilder output, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        start.ArgumentList.Add(AssemblyPath);
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        // Stay out of the user's configuration: the tests choose every setting they depend on.
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        // Parallel gateways cannot all listen on the admin page's port 8081; a test of the page turns it on with --Admin:Enabled=true.
        start.Environment["COAPGW_Admin__Enabled"] = "false";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) start.Environment[name] = value;
        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>Starts the gateway and returns once it answers a GET of /.well-known/core; retries once on a port race.</summary>
    /// <param name="dataDir">The data directory (default: a new temp directory).</param>
    /// <param name="extra">More <c>--Section:Key=value</c> arguments.</param>
    public static Task<GatewayProcess> StartAsync(string? dataDir = null, params string[] extra) => StartAsync(dataDir, null, extra);

    /// <summary>On <paramref name="fixedPort"/> when given (a restart where devices keep the address they knew), else a free port.</summary>
    public static Task<GatewayProcess> StartAsync(string? dataDir, int? fixedPort, params string[] extra) => StartAsync(dataDir, fixedPort, null, extra);

    /// <summary>With extra <paramref name="environment"/> variables for the child (e.g. pinned GC settings).</summary>
    public static async Task<GatewayProcess> StartAsync(string? dataDir, int? fixedPort, IReadOnlyDictionary<string, string>? environment, params string[] extra)
    {
        string failures = "";
        for (int attempt = 0; attempt < 3; attempt++)
        {
            int port = fixedPort ?? FreePort.Udp();
            var output = new StringBuilder();
            // Own data directory and no HTTP listener: parallel gateways must not share a database or port 8080.
            dataDir ??= Path.Combine(Path.GetTempPath(), $"coapgw-interop-{Guid.NewGuid():N}");
            var process = Launch(["run", $"--Coap:Port={port}", "--Coap:Address=::", $"--data-dir={dataDir}", "--Http:Port=0", .. extra], output, environment);
            var gateway = new GatewayProcess(process, port, output);
            if (await gateway.WaitUntilAnsweringAsync())
            {
                // Kestrel binds just after CoAP answers: a test that gave the gateway an HTTP port may use it at once.
                if (HttpPortOf(extra) is not (null or "0")) await gateway.WaitForOutputAsync("HTTP listening on");
                return gateway;
            }
            // Read the exit before disposing: a disposed Process no longer knows it.
            string exit = process.HasExited ? process.ExitCode.ToString(System.Globalization.CultureInfo.InvariantCulture) : "none";
            await gateway.DisposeAsync();
            failures += $"attempt {attempt + 1}, port {port}, exit {exit}:\n{gateway.Output}\n";
            // Exit 1 with "cannot listen" is the port race the retry is for; anything else will not improve.
            if (!gateway.Output.Contains("cannot listen", StringComparison.Ordinal)) break;
        }
        throw new InvalidOperationException($"The gateway did not answer within {ReadyLimit.TotalSeconds} s.\n{failures}");
    }

    /// <summary>The last <c>--Http:Port=</c> among the arguments (the one that counts), or null.</summary>
    private static string? HttpPortOf(string[] arguments) =>
        arguments.LastOrDefault(a => a.StartsWith("--Http:Port=", StringComparison.Ordinal))?["--Http:Port=".Length..];

    private async Task<bool> WaitUntilAnsweringAsync()
    {
        using var client = new OwnClient();
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < ReadyLimit && !_process.HasExited)
        {
            try
            {
                var response = await client.GetAsync(IPv6EndPoint, ".well-known/core", TimeSpan.FromSeconds(2));
                if (response.Code.IsSuccess) return true;
            }
            catch (Exception e) when (e is TimeoutException or OperationCanceledException or Gateway.Coap.CoapResetException)
            {
                // Not listening yet (the first datagrams meet a closed port): poll again.
            }
            await Task.Delay(100);
        }
        return false;
    }

    /// <summary>SIGKILL now (a crash: nothing of the process's own shutdown runs) and wait for the exit.</summary>
    public void Kill()
    {
        if (_process.HasExited) return;
        _process.Kill(); // SIGKILL on Unix
        _process.WaitForExit(10_000);
    }

    /// <summary>SIGTERM, then wait up to the bound; SIGKILL if it is still running. Returns the exit code, null if it had to be killed.</summary>
    /// <summary>
    /// Waits (at most 30 s) until the gateway has logged <paramref name="text"/>: the process counts as started once
    /// CoAP answers, and Kestrel (HTTP, the admin page) binds just after.
    /// </summary>
    public async Task WaitForOutputAsync(string text)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (!Output.Contains(text, StringComparison.Ordinal))
        {
            if (waited.Elapsed > TimeSpan.FromSeconds(30) || _process.HasExited)
                throw new InvalidOperationException($"The gateway never logged '{text}'.\n{Output}");
            await Task.Delay(50);
        }
    }

    public async Task<int?> StopAsync()
    {
        if (_process.HasExited) return _process.ExitCode;
        await ProcessRunner.RunAsync("kill", ["-TERM", Pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        using (var limit = new CancellationTokenSource(StopLimit))
        {
            try
            {
                await _process.WaitForExitAsync(limit.Token);
                return _process.ExitCode;
            }
            catch (OperationCanceledException) { }
        }
        _process.Kill(entireProcessTree: true);
        using var reap = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try { await _process.WaitForExitAsync(reap.Token); } catch (OperationCanceledException) { }
        return null;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process.Dispose();
    }
}
