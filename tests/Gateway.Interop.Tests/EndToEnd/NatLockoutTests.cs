using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Gateway.Coap.Codec;
using Gateway.Coap.Messages;
using Gateway.Interop.Tests.Support;
using Gateway.TestKit;
using Xunit.Abstractions;

namespace Gateway.Interop.Tests.EndToEnd;

/// <summary>
/// Issue 18, lock-out behind a NAT, against the running gateway: ten valid devices and a guesser share one address
/// (one NAT). 1,000 random tokens get the address limited; no guess is accepted, the guesses looked up stay within
/// the limiter's bound, and every request of the ten devices is still answered 2.01. Negative control: a valid
/// device that never authenticated from that address is not answered while it is limited — the address really is
/// limited, and the devices get through only because their credentials are known there.
/// </summary>
public sealed partial class NatLockoutTests(ITestOutputHelper output)
{
    private const string Nat = "127.0.0.77";
    private const int Devices = 10, Guesses = 1000, Rounds = 10;

    [Fact]
    public async Task ThousandGuessesAndTenValidDevicesBehindOneAddress_NoGuessAccepted_GuessingBounded_EveryDeviceServed()
    {
        string dataDir = Path.Combine(Path.GetTempPath(), $"coapgw-e2e-nat-{Guid.NewGuid():N}");
        try
        {
            var tokens = await Task.WhenAll(Enumerable.Range(0, Devices + 1).Select(i => CloudSide.AddDeviceAsync(dataDir, $"Nat Dev {i}")));
            string lateToken = tokens[Devices];
            int httpPort = FreePort.Tcp();
            await using var gateway = await GatewayProcess.StartAsync(dataDir, $"--Http:Port={httpPort.ToString(CultureInfo.InvariantCulture)}", "--Http:Address=127.0.0.1");

            var devices = Enumerable.Range(0, Devices).Select(_ => Bound()).ToArray();
            using var attacker = Bound();
            int mid = 1, served = 0, requests = 0;
            async Task RoundOfValidDevices()
            {
                for (int d = 0; d < Devices; d++)
                {
                    requests++;
                    var answer = await PostAsync(devices[d], gateway.IPv4EndPoint, tokens[d], (ushort)mid++);
                    if (answer == CoapCode.Created) served++;
                }
            }

            // Normal operation first: the devices authenticate from the NAT's address.
            await RoundOfValidDevices();
            Assert.True(served == Devices, $"{served}/{Devices} devices served before the attack\n{gateway.Output}");

            var random = new Random(18);
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < Guesses; i++)
            {
                string guess = new(Enumerable.Range(0, 20).Select(_ => (char)('a' + random.Next(26))).ToArray());
                attacker.SendTo(Post(guess, (ushort)mid++), gateway.IPv4EndPoint);
                if (i % (Guesses / Rounds) == Guesses / Rounds - 1) await RoundOfValidDevices();
            }
            double attackSeconds = clock.Elapsed.TotalSeconds;

            // Negative control: spend whatever lookup budget the address has, then a valid token new to it is dropped.
            for (int i = 0; i < 5; i++) attacker.SendTo(Post($"spend-budget-{i:D8}", (ushort)mid++), gateway.IPv4EndPoint);
            using var late = Bound();
            var lateAnswer = await PostAsync(late, gateway.IPv4EndPoint, lateToken, (ushort)mid++, TimeSpan.FromSeconds(2));

            var (unauthorized, accepted) = Drain(attacker);
            var metrics = await MetricsAsync(httpPort);
            long lookedUp = metrics["coapgw_auth_failures_total"];
            // Bound: the failures before the limit (AuthFailuresBeforeSilence + 1), then one lookup per 10 s of budget.
            long bound = 21 + (long)Math.Ceiling((clock.Elapsed.TotalSeconds + 1) / 10);
            string figures = string.Create(CultureInfo.InvariantCulture,
                $"NAT lock-out: {Guesses} guesses in {attackSeconds:F1} s, {accepted} accepted, {lookedUp} looked up (bound {bound}), {unauthorized} answered 4.01; " +
                $"valid devices {served}/{requests} served ({metrics["coapgw_auth_known_while_limited_total"]} while limited); new device while limited: {(lateAnswer is null ? "not answered" : lateAnswer.ToString())}");
            output.WriteLine(figures);
            Figures.Report(figures);

            Assert.Equal(0, accepted);
            Assert.True(lookedUp <= bound, figures);
            Assert.True(served == requests, figures + "\n" + gateway.Output);
            Assert.True(metrics["coapgw_auth_limits_total"] >= 1, figures);
            Assert.True(metrics["coapgw_auth_known_while_limited_total"] >= Devices * (Rounds - 1), figures);
            Assert.True(metrics["coapgw_auth_silenced_total"] >= Guesses - bound, figures);
            Assert.True(lateAnswer is null, "negative control: " + figures);
        }
        finally
        {
            try { Directory.Delete(dataDir, recursive: true); } catch (IOException) { }
        }
    }

    private static Socket Bound()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Parse(Nat), 0));
        return socket;
    }

    private static byte[] Post(string token, ushort mid)
    {
        var datagram = CoapCodec.Encode(RequestBuilder.Build(CoapCode.Post, $"api/v1/{token}/telemetry", Encoding.UTF8.GetBytes("{\"t\":1}"), 50));
        datagram[2] = (byte)(mid >> 8);
        datagram[3] = (byte)mid;
        return datagram;
    }

    /// <summary>One CON POST; the final answer's code (after an empty ACK if the commit was slow), or null if none came within <paramref name="limit"/>.</summary>
    private static async Task<CoapCode?> PostAsync(Socket socket, IPEndPoint gateway, string token, ushort mid, TimeSpan? limit = null)
    {
        var request = Post(token, mid);
        using var window = new CancellationTokenSource(limit ?? TimeSpan.FromSeconds(10));
        var buffer = new byte[2048];
        await socket.SendToAsync(request, gateway);
        try
        {
            while (true)
            {
                var received = await socket.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0), window.Token);
                if (!CoapCodec.TryDecode(buffer.AsMemory(0, received.ReceivedBytes).ToArray(), out var answer, out _) || answer.IsEmpty) continue;
                if (answer.Type == CoapMessageType.Confirmable)
                    await socket.SendToAsync(new byte[] { 0x60, 0, buffer[2], buffer[3] }, gateway); // ACK the separate response
                return answer.Code;
            }
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>What the guesser got back: 4.01s, and anything else that is not an empty message (an accepted guess).</summary>
    private static (int Unauthorized, int Accepted) Drain(Socket socket)
    {
        int unauthorized = 0, accepted = 0;
        var buffer = new byte[2048];
        socket.ReceiveTimeout = 500;
        while (true)
        {
            int length;
            try { length = socket.Receive(buffer); }
            catch (SocketException) { break; }
            if (!CoapCodec.TryDecode(buffer.AsMemory(0, length).ToArray(), out var answer, out _)) continue;
            if (answer.Code == CoapCode.Unauthorized) unauthorized++;
            else if (!answer.IsEmpty) accepted++;
        }
        return (unauthorized, accepted);
    }

    private static async Task<Dictionary<string, long>> MetricsAsync(int httpPort)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        string text = await http.GetStringAsync($"http://127.0.0.1:{httpPort}/metrics");
        return MetricLine().Matches(text).ToDictionary(m => m.Groups[1].Value, m => (long)double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture));
    }

    [GeneratedRegex(@"^(coapgw_auth_[a-z_]+) ([0-9.eE+]+)$", RegexOptions.Multiline)]
    private static partial Regex MetricLine();
}
