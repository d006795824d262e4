using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Gateway.Interop.Tests.Support;

/// <summary>
/// Two network namespaces joined by a veth pair, the 6LoWPAN border router's link in miniature: the gateway runs on
/// <c>veth0</c> (fe80::1) in one, the device (libcoap) on <c>veth1</c> (fe80::2) in the other. Needs root for
/// <c>ip netns</c>. Deleting a namespace deletes its end of the pair, and with it the other end.
/// </summary>
public sealed class VethNamespaces : IAsyncDisposable
{
    private readonly StringBuilder _output = new();
    private Process? _gateway;

    private VethNamespaces(string tag)
    {
        GatewayNs = $"gw{tag}-{Environment.ProcessId % 100000}";
        ClientNs = $"cl{tag}-{Environment.ProcessId % 100000}";
    }

    public string GatewayNs { get; }
    public string ClientNs { get; }

    /// <summary>A scratch directory for the test (data directory, files), deleted with the namespaces.</summary>
    public string Dir { get; } = Path.Combine(Path.GetTempPath(), $"coapgw-veth-{Guid.NewGuid():N}");

    /// <summary>The gateway's stdout and stderr so far.</summary>
    public string GatewayOutput { get { lock (_output) return _output.ToString(); } }

    public bool GatewayExited => _gateway?.HasExited ?? true;

    private static async Task Ip(params string[] arguments)
    {
        var result = await ProcessRunner.RunAsync("ip", arguments);
        Assert.True(result.ExitCode == 0, "this test needs root and ip netns (iproute2)\n" + result.Describe());
    }

    /// <param name="tag">Makes the namespace names unique between test classes running at once.</param>
    public static async Task<VethNamespaces> CreateAsync(string tag)
    {
        var pair = new VethNamespaces(tag);
        Directory.CreateDirectory(pair.Dir);
        await Ip("netns", "add", pair.GatewayNs);
        await Ip("netns", "add", pair.ClientNs);
        await Ip("-n", pair.GatewayNs, "link", "add", "veth0", "type", "veth", "peer", "name", "veth1", "netns", pair.ClientNs);
        foreach (var (ns, device, address) in new[] { (pair.GatewayNs, "veth0", "fe80::1/64"), (pair.ClientNs, "veth1", "fe80::2/64") })
        {
            await Ip("-n", ns, "link", "set", "lo", "up");
            // Only the address we set: a socket bound to :: answers from the address the kernel picks, and with a
            // second (generated) link-local address that may not be the one asked, which libcoap rightly ignores.
            await Ip("-n", ns, "link", "set", device, "addrgenmode", "none");
            await Ip("-n", ns, "link", "set", device, "up");
            await Ip("-n", ns, "addr", "add", address, "dev", device, "nodad");
        }
        return pair;
    }

    /// <summary>libcoap's client in the device's namespace (<c>-B 10</c> unless the arguments say otherwise later).</summary>
    public Task<ProcessResult> Client(params string[] arguments) =>
        ProcessRunner.RunAsync("ip", ["netns", "exec", ClientNs, Peers.LibcoapClient, "-B", "10", .. arguments], TimeSpan.FromSeconds(30));

    /// <summary>The gateway (<c>run</c>, HTTP off, port 5683 on ::) in its namespace with the extra arguments.</summary>
    public void StartGateway(string dataDir, params string[] arguments)
    {
        var start = new ProcessStartInfo("ip") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in (string[])["netns", "exec", GatewayNs, "dotnet", GatewayProcess.AssemblyPath, "run", "--Coap:Port=5683", "--Coap:Address=::",
            $"--data-dir={dataDir}", "--Http:Port=0", .. arguments])
        {
            start.ArgumentList.Add(a);
        }
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        _gateway = Process.Start(start)!;
        _gateway.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
        _gateway.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
        _gateway.BeginOutputReadLine();
        _gateway.BeginErrorReadLine();
    }

    /// <summary>Runs the gateway's CLI (no namespace needed: it only touches the data directory).</summary>
    public static async Task<string> Cli(string dataDir, params string[] arguments)
    {
        var result = await ProcessRunner.RunAsync("dotnet", [GatewayProcess.AssemblyPath, .. arguments, $"--data-dir={dataDir}"]);
        Assert.True(result.ExitCode == 0, result.Describe());
        return result.StandardOutput.Trim();
    }

    public async ValueTask DisposeAsync()
    {
        if (_gateway is { HasExited: false } gateway)
        {
            await ProcessRunner.RunAsync("kill", ["-TERM", gateway.Id.ToString(CultureInfo.InvariantCulture)]);
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try { await gateway.WaitForExitAsync(limit.Token); }
            catch (OperationCanceledException) { gateway.Kill(entireProcessTree: true); }
        }
        _gateway?.Dispose();
        await ProcessRunner.RunAsync("ip", ["netns", "delete", GatewayNs]);
        await ProcessRunner.RunAsync("ip", ["netns", "delete", ClientNs]);
        Directory.Delete(Dir, recursive: true);
    }
}
