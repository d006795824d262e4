using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Gateway.Host.Tests.Support;

namespace Gateway.Host.Tests;

/// <summary>
/// The real executable against a fake systemd: a unix datagram socket the test binds and passes as
/// <c>NOTIFY_SOCKET</c>, with <c>WATCHDOG_USEC</c> set as a <c>WatchdogSec=</c> unit would.
/// </summary>
public sealed class SystemdNotifyTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private sealed record Notice(string Text, TimeSpan At);

    private static async Task<Notice> ReceiveAsync(Socket socket, Stopwatch clock, TimeSpan limit, string what, Func<string> context)
    {
        var buffer = new byte[4096];
        using var cancel = new CancellationTokenSource(limit);
        try
        {
            var length = await socket.ReceiveAsync(buffer, SocketFlags.None, cancel.Token);
            return new Notice(Encoding.UTF8.GetString(buffer, 0, length), clock.Elapsed);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no notification within {limit.TotalSeconds} s while waiting for {what}\n{context()}");
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Ready_AfterTheSocketIsBound_WatchdogAtTheInterval_StoppingOnSigterm(bool abstractSocket)
    {
        var name = $"coapgw-notify-{Guid.NewGuid():N}";
        using var notify = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        notify.Bind(new UnixDomainSocketEndPoint(abstractSocket ? "\0" + name : _dir.Combine("notify.sock")));
        var environment = new Dictionary<string, string>
        {
            ["NOTIFY_SOCKET"] = abstractSocket ? "@" + name : _dir.Combine("notify.sock"),
            ["WATCHDOG_USEC"] = "2000000", // WatchdogSec=2: a ping every second
        };
        var clock = Stopwatch.StartNew();
        await using var gateway = RunningGateway.Launch(_dir.Combine("data"), environment: environment, http: false);
        var notices = new List<Notice>();
        string Context() => $"{string.Join("\n", notices.Select(n => $"{n.At.TotalMilliseconds:0} ms: {n.Text.ReplaceLineEndings(" | ")}"))}\n{gateway}";

        // READY=1 comes first (no WATCHDOG=1 before it) and only once the CoAP socket answers.
        var ready = await ReceiveAsync(notify, clock, TimeSpan.FromSeconds(30), "READY=1", Context);
        notices.Add(ready);
        Assert.StartsWith("READY=1", ready.Text, StringComparison.Ordinal);
        using (var probe = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp))
        {
            // A CoAP ping (Empty CON) right after READY is answered with RST: the socket was bound before READY.
            await probe.SendToAsync(new byte[] { 0x40, 0x00, 0x12, 0x34 }, new IPEndPoint(IPAddress.IPv6Loopback, gateway.CoapPort));
            var reply = new byte[16];
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            var received = await probe.ReceiveAsync(reply, SocketFlags.None, limit.Token);
            Assert.Equal(new byte[] { 0x70, 0x00, 0x12, 0x34 }, reply[..received]);
        }
        Assert.True(File.Exists(_dir.Combine("data", "gateway.db")), "READY=1 before the database exists");

        // WATCHDOG=1 at half of WatchdogSec; STATUS= lines are interleaved.
        var pings = new List<TimeSpan>();
        while (pings.Count < 5)
        {
            var notice = await ReceiveAsync(notify, clock, TimeSpan.FromSeconds(5), "WATCHDOG=1", Context);
            notices.Add(notice);
            if (notice.Text == "WATCHDOG=1") pings.Add(notice.At);
            else Assert.StartsWith("STATUS=", notice.Text, StringComparison.Ordinal);
        }
        var gaps = pings.Zip(pings.Skip(1), (a, b) => (b - a).TotalMilliseconds).ToList();
        // Nominal 1000 ms (half of WatchdogSec); a loaded 2-core CI box delays single pings, the mean stays near the interval.
        Assert.True(gaps.Average() is > 700 and < 1400, $"mean watchdog interval {gaps.Average():0} ms\n{Context()}");
        Assert.True(gaps.Max() < 2000, $"a watchdog gap of {gaps.Max():0} ms would let systemd kill the service\n{Context()}");
        Assert.Contains(notices, n => n.Text.StartsWith("STATUS=link disabled; queue ", StringComparison.Ordinal));

        gateway.Signal(15);
        Notice stopping;
        do
        {
            stopping = await ReceiveAsync(notify, clock, TimeSpan.FromSeconds(10), "STOPPING=1", Context);
            notices.Add(stopping);
        }
        while (!stopping.Text.StartsWith("STOPPING=1", StringComparison.Ordinal));
        Assert.Equal(0, await gateway.WaitForExitAsync(TimeSpan.FromSeconds(15)));
    }

    [Fact]
    public async Task NoNotifySocket_RunsAndStopsCleanly()
    {
        await using var gateway = await RunningGateway.StartAsync(_dir.Combine("data"));
        Assert.Equal(0, await gateway.StopAsync());
    }

    // Under systemd (the library's test: our parent process is named "systemd") log lines carry journald
    // priorities and no timestamp, and READY=1 still arrives. The parent here is a shell linked as "systemd".
    [Fact]
    public async Task UnderASystemdParent_LogLinesCarryJournaldPriorities_AndReadyArrives()
    {
        var launcher = _dir.Combine("bin", "systemd");
        Directory.CreateDirectory(Path.GetDirectoryName(launcher)!);
        File.CreateSymbolicLink(launcher, "/bin/sh");
        using var notify = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        notify.Bind(new UnixDomainSocketEndPoint(_dir.Combine("notify.sock")));
        var dotnet = GatewayExecutable.StartInfo(_dir.Path, ["run", $"--Coap:Port={Gateway.TestKit.FreePort.Udp()}", "--Http:Port=0", "--data-dir", _dir.Combine("data")],
            new Dictionary<string, string> { ["NOTIFY_SOCKET"] = _dir.Combine("notify.sock") });
        var start = new ProcessStartInfo(launcher) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = _dir.Path };
        // "$0" "$@" followed by another command: the shell forks, so it stays the gateway's parent.
        foreach (var argument in new[] { "-c", "\"$0\" \"$@\"; exit $?", dotnet.FileName }.Concat(dotnet.ArgumentList)) start.ArgumentList.Add(argument);
        foreach (var (key, value) in dotnet.Environment) start.Environment[key] = value;
        using var shell = Process.Start(start)!;
        var output = new StringBuilder();
        shell.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        shell.BeginOutputReadLine();
        try
        {
            var ready = await ReceiveAsync(notify, Stopwatch.StartNew(), TimeSpan.FromSeconds(30), "READY=1", () => { lock (output) return output.ToString(); });
            Assert.StartsWith("READY=1", ready.Text, StringComparison.Ordinal);
            await Task.Delay(500);
            string log;
            lock (output) log = output.ToString();
            var lines = log.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.NotEmpty(lines);
            Assert.All(lines, line => Assert.Matches(@"^<[0-7]>", line));
            Assert.Contains(lines, line => line.StartsWith("<6>Gateway.Host.Storage.StorageService[500]", StringComparison.Ordinal));
        }
        finally
        {
            shell.Kill(entireProcessTree: true);
            await shell.WaitForExitAsync();
        }
    }
}
