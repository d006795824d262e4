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
    private VethNamespaces _link = null!;

    public async Task InitializeAsync() => _link = await VethNamespaces.CreateAsync("17");

    public async Task DisposeAsync() => await _link.DisposeAsync();

    [Fact]
    public async Task LinkLocalPeer_GetsPiggybackedSeparateAndBlockwiseAnswers_OnItsInterface()
    {
        string dataDir = Path.Combine(_link.Dir, "data"), imageFile = Path.Combine(_link.Dir, "fw.bin"), received = Path.Combine(_link.Dir, "received.bin");
        var image = new byte[700];
        new Random(4007).NextBytes(image);
        await File.WriteAllBytesAsync(imageFile, image);
        string token = await VethNamespaces.Cli(dataDir, "devices", "add", "Scoped Node");
        await VethNamespaces.Cli(dataDir, "firmware", "add", "--title", "fw", "--version", "2", "--file", imageFile, "--device", "Scoped Node");

        // SeparateResponseDelayMilliseconds=0: a write (a SQLite commit) is answered by an empty ACK and a separate CON.
        _link.StartGateway(dataDir, "--Coap:SeparateResponseDelayMilliseconds=0", "--Coap:MaxBlockSize=64");

        const string Base = "coap://[fe80::1%veth1]:5683";
        ProcessResult discovery = null!;
        var ready = Stopwatch.StartNew();
        while (ready.Elapsed < TimeSpan.FromSeconds(40) && !_link.GatewayExited)
        {
            discovery = await _link.Client("-m", "get", $"{Base}/.well-known/core?rt=tb.fw");
            if (discovery.StandardOutput.Contains("</fw>", StringComparison.Ordinal)) break;
            await Task.Delay(250);
        }
        // libcoap logs the ICMP errors of its attempts before the gateway listened on stdout too: compare the payload line.
        Assert.True(discovery.StandardOutput.Split('\n').Any(l => l.Trim() == "</fw>;rt=\"tb.fw\";ct=42"), discovery.Describe() + "\n" + _link.GatewayOutput);

        // With a 0 ms deadline the empty ACK usually wins the race against the commit, so the 2.01 comes separately, from
        // the exchange's stored address; a commit that wins is piggybacked, so a few writes make sure both ways were taken.
        var writes = new List<ProcessResult>();
        for (int i = 0; i < 5 && !writes.Any(w => w.AllOutput.Contains("t:CON c:2.01", StringComparison.Ordinal)); i++)
        {
            var write = await _link.Client("-v", "6", "-m", "post", "-e", "{\"t\":21.5}", $"{Base}/api/v1/{token}/telemetry");
            Assert.True(write.ExitCode == 0 && write.AllOutput.Contains("c:2.01", StringComparison.Ordinal), write.Describe() + "\n" + _link.GatewayOutput);
            writes.Add(write);
        }
        Assert.True(writes.Any(w => w.AllOutput.Contains("t:CON c:2.01", StringComparison.Ordinal)), // reached fe80::2%veth0
            string.Join("\n", writes.Select(w => w.Describe())));

        var download = await _link.Client("-b", "64", "-o", received, $"{Base}/fw/{token}?title=fw&version=2");
        Assert.True(download.ExitCode == 0, download.Describe());
        Assert.Equal(image, await File.ReadAllBytesAsync(received));
        Assert.DoesNotContain("fail:", _link.GatewayOutput, StringComparison.Ordinal);
    }
}
