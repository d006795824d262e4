using System.Diagnostics;
using System.Globalization;
using System.Text;
using Gateway.Interop.Tests.Support;

namespace Gateway.Interop.Tests.EndToEnd;

/// <summary>
/// Issue 17: an IPv6 link-local peer (a 6LoWPAN device behind a border router) keeps its scope id from receive to
/// every send, since fe80::/10 means nothing without the interface (RFC 4007 §6). Two network namespaces joined by a
/// veth pair: the gateway on <c>veth0</c> (fe80::1), libcoap on <c>veth1</c> (fe80::2) asking <c>[fe80::1%veth1]</c>.
/// Covers a piggybacked answer, a separate CON response (sent later, from the exchange's stored address; §5.2.2) and
/// its ACK, and a Block2 transfer. Needs root for <c>ip netns</c>.
/// </summary>
public sealed class LinkLocalScopeTests : IAsyncLifetime
{
    private readonly string _gatewayNs = $"gw17-{Environment.ProcessId % 100000}";
    private readonly string _clientNs = $"cl17-{Environment.ProcessId % 100000}";
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"coapgw-scope-{Guid.NewGuid():N}");
    private readonly StringBuilder _output = new();
    private Process? _gateway;

    private static async Task Ip(params string[] arguments)
    {
        var result = await ProcessRunner.RunAsync("ip", arguments);
        Assert.True(result.ExitCode == 0, "this test needs root and ip netns (iproute2)\n" + result.Describe());
    }

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        await Ip("netns", "add", _gatewayNs);
        await Ip("netns", "add", _clientNs);
        await Ip("-n", _gatewayNs, "link", "add", "veth0", "type", "veth", "peer", "name", "veth1", "netns", _clientNs);
        foreach (var (ns, device, address) in new[] { (_gatewayNs, "veth0", "fe80::1/64"), (_clientNs, "veth1", "fe80::2/64") })
        {
            await Ip("-n", ns, "link", "set", "lo", "up");
            // Only the address we set: a socket bound to :: answers from the address the kernel picks, and with a
            // second (generated) link-local address that may not be the one asked, which libcoap rightly ignores.
            await Ip("-n", ns, "link", "set", device, "addrgenmode", "none");
            await Ip("-n", ns, "link", "set", device, "up");
            await Ip("-n", ns, "addr", "add", address, "dev", device, "nodad");
        }
    }

    public async Task DisposeAsync()
    {
        if (_gateway is { HasExited: false } gateway)
        {
            await ProcessRunner.RunAsync("kill", ["-TERM", gateway.Id.ToString(CultureInfo.InvariantCulture)]);
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try { await gateway.WaitForExitAsync(limit.Token); }
            catch (OperationCanceledException) { gateway.Kill(entireProcessTree: true); }
        }
        _gateway?.Dispose();
        // Deleting a namespace deletes its end of the veth pair, and with it the other end.
        await ProcessRunner.RunAsync("ip", ["netns", "delete", _gatewayNs]);
        await ProcessRunner.RunAsync("ip", ["netns", "delete", _clientNs]);
        Directory.Delete(_dir, recursive: true);
    }

    private Task<ProcessResult> Client(params string[] arguments) =>
        ProcessRunner.RunAsync("ip", ["netns", "exec", _clientNs, Peers.LibcoapClient, "-B", "10", .. arguments], TimeSpan.FromSeconds(30));

    private static async Task<string> Cli(string dataDir, params string[] arguments)
    {
        var result = await ProcessRunner.RunAsync("dotnet", [GatewayProcess.AssemblyPath, .. arguments, $"--data-dir={dataDir}"]);
        Assert.True(result.ExitCode == 0, result.Describe());
        return result.StandardOutput.Trim();
    }

    [Fact]
    public async Task LinkLocalPeer_GetsPiggybackedSeparateAndBlockwiseAnswers_OnItsInterface()
    {
        string dataDir = Path.Combine(_dir, "data"), imageFile = Path.Combine(_dir, "fw.bin"), received = Path.Combine(_dir, "received.bin");
        var image = new byte[700];
        new Random(4007).NextBytes(image);
        await File.WriteAllBytesAsync(imageFile, image);
        string token = await Cli(dataDir, "devices", "add", "Scoped Node");
        await Cli(dataDir, "firmware", "add", "--title", "fw", "--version", "2", "--file", imageFile, "--device", "Scoped Node");

        // SeparateResponseDelayMilliseconds=0: a write (a SQLite commit) is answered by an empty ACK and a separate CON.
        var start = new ProcessStartInfo("ip") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in (string[])["netns", "exec", _gatewayNs, "dotnet", GatewayProcess.AssemblyPath, "run", "--Coap:Port=5683", "--Coap:Address=::",
            $"--data-dir={dataDir}", "--Http:Port=0", "--Coap:SeparateResponseDelayMilliseconds=0", "--Coap:MaxBlockSize=64"])
        {
            start.ArgumentList.Add(a);
        }
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        _gateway = Process.Start(start)!;
        _gateway.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
        _gateway.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
        _gateway.BeginOutputReadLine();
        _gateway.BeginErrorReadLine();

        const string Base = "coap://[fe80::1%veth1]:5683";
        ProcessResult discovery = null!;
        var ready = Stopwatch.StartNew();
        while (ready.Elapsed < TimeSpan.FromSeconds(40) && !_gateway.HasExited)
        {
            discovery = await Client("-m", "get", $"{Base}/.well-known/core?rt=tb.fw");
            if (discovery.StandardOutput.Contains("</fw>", StringComparison.Ordinal)) break;
            await Task.Delay(250);
        }
        // libcoap logs the ICMP errors of its attempts before the gateway listened on stdout too: compare the payload line.
        Assert.True(discovery.StandardOutput.Split('\n').Any(l => l.Trim() == "</fw>;rt=\"tb.fw\";ct=42"), discovery.Describe() + "\n" + _output);

        // With a 0 ms deadline the empty ACK usually wins the race against the commit, so the 2.01 comes separately, from
        // the exchange's stored address; a commit that wins is piggybacked, so a few writes make sure both ways were taken.
        var writes = new List<ProcessResult>();
        for (int i = 0; i < 5 && !writes.Any(w => w.AllOutput.Contains("t:CON c:2.01", StringComparison.Ordinal)); i++)
        {
            var write = await Client("-v", "6", "-m", "post", "-e", "{\"t\":21.5}", $"{Base}/api/v1/{token}/telemetry");
            Assert.True(write.ExitCode == 0 && write.AllOutput.Contains("c:2.01", StringComparison.Ordinal), write.Describe() + "\n" + _output);
            writes.Add(write);
        }
        Assert.True(writes.Any(w => w.AllOutput.Contains("t:CON c:2.01", StringComparison.Ordinal)), // reached fe80::2%veth0
            string.Join("\n", writes.Select(w => w.Describe())));

        var download = await Client("-b", "64", "-o", received, $"{Base}/fw/{token}?title=fw&version=2");
        Assert.True(download.ExitCode == 0, download.Describe());
        Assert.Equal(image, await File.ReadAllBytesAsync(received));
        Assert.DoesNotContain("fail:", _output.ToString(), StringComparison.Ordinal);
    }
}
