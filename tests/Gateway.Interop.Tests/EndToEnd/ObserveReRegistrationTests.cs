using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Gateway.Coap.Codec;
using Gateway.Coap.Messages;
using Gateway.Interop.Tests.Support;
using Gateway.TestKit;

namespace Gateway.Interop.Tests.EndToEnd;

/// <summary>
/// Issue #24 over UDP against the running gateway: each round four fresh sockets of one device register
/// for its attributes at once; the gateway keeps the one it admitted last and answers each older one a
/// final 2.02 without Observe (RFC 7641 §3.2). A shared-attribute update the cloud then publishes on
/// <c>v1/gateway/attributes</c> must reach that newest socket, every round.
/// </summary>
public sealed class ObserveReRegistrationTests
{
    private const int Rounds = 1000;
    private const int Sockets = 4;
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(4);

    [Fact]
    public async Task FourSimultaneousRegistrations_ThenACloudUpdate_TheUpdateReachesTheNewest_EveryRound()
    {
        MosquittoBroker.RequireInstalled();
        using var cloud = new CloudSide();
        cloud.StartSubscriber($"cloud-observe-{Guid.NewGuid():N}");
        string dataDir = Path.Combine(Path.GetTempPath(), $"coapgw-observe24-{Guid.NewGuid():N}");
        string token = (await CloudSide.AddDeviceAsync(dataDir, "Dev Obs", "--type", "thermostat")).Trim();
        int httpPort = FreePort.Tcp();
        await using var gateway = await GatewayProcess.StartAsync(dataDir, cloud.GatewayArguments("gateway-observe24",
            $"--Http:Port={httpPort.ToString(CultureInfo.InvariantCulture)}", "--Http:Address=127.0.0.1"));
        await cloud.WaitAsync("v1/gateway/connect", p => (string?)p["device"] == "Dev Obs", "the connect of Dev Obs");
        // One publisher for all rounds: mosquitto_pub -l publishes each stdin line.
        using var publisher = Process.Start(new ProcessStartInfo("mosquitto_pub",
            ["-h", "127.0.0.1", "-p", cloud.Port.ToString(CultureInfo.InvariantCulture), "-q", "1", "-t", "v1/gateway/attributes", "-l"])
        { RedirectStandardInput = true, UseShellExecute = false })!;

        var path = new[] { "api", "v1", token, "attributes" };
        var failures = new List<string>();
        var clock = Stopwatch.StartNew();
        ushort messageId = 1;
        for (int round = 0; round < Rounds && failures.Count < 5; round++)
        {
            var sockets = Enumerable.Range(0, Sockets).Select(_ => new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp)).ToArray();
            try
            {
                foreach (var socket in sockets) socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
                // The same moment: four registrations back to back, before any answer is read.
                for (int i = 0; i < Sockets; i++)
                {
                    var register = new CoapMessage(CoapMessageType.Confirmable, CoapCode.Get, messageId++, new byte[] { (byte)i, (byte)round, (byte)(round >> 8) },
                        [CoapOption.FromUInt(CoapOptionNumber.Observe, 0), .. path.Select(s => CoapOption.FromString(CoapOptionNumber.UriPath, s))]);
                    sockets[i].SendTo(CoapCodec.Encode(register), gateway.IPv4EndPoint);
                }
                var first = await Task.WhenAll(sockets.Select(s => ReceiveAsync(s, m => m.Code == CoapCode.Content, gateway.IPv4EndPoint)));
                if (first.Any(m => m is null || m.GetUIntOption(CoapOptionNumber.Observe) is null))
                {
                    failures.Add($"round {round}: not every registration got 2.05 with Observe");
                    continue;
                }
                // Each older registration is told it left the list; the one left untold is the newest.
                using var enough = new CancellationTokenSource();
                var telling = sockets.Select(s => ReceiveAsync(s, IsFinal, gateway.IPv4EndPoint, cancel: enough.Token)).ToList();
                var pending = telling.ToList();
                while (pending.Count > 0 && telling.Count(t => t.IsCompletedSuccessfully && t.Result is not null) < Sockets - 1)
                    pending.Remove(await Task.WhenAny(pending));
                await enough.CancelAsync(); // the untold one's receive ends, so it cannot swallow the update
                var told = await Task.WhenAll(telling);
                int[] untold = [.. Enumerable.Range(0, Sockets).Where(i => told[i] is null)];
                if (untold.Length != 1)
                {
                    failures.Add($"round {round}: {untold.Length} registrations were not told they were replaced (expected 1)");
                    continue;
                }
                await publisher.StandardInput.WriteLineAsync("{\"device\":\"Dev Obs\",\"data\":{\"round\":" + round.ToString(CultureInfo.InvariantCulture) + "}}");
                await publisher.StandardInput.FlushAsync();
                string expected = "{\"round\":" + round.ToString(CultureInfo.InvariantCulture) + "}";
                var update = await ReceiveAsync(sockets[untold[0]], m => Encoding.UTF8.GetString(m.Payload.Span) == expected, gateway.IPv4EndPoint);
                if (update is null) failures.Add($"round {round}: the update did not reach the newest registration");
            }
            finally
            {
                foreach (var socket in sockets) socket.Dispose();
            }
        }
        clock.Stop();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        string metrics = await http.GetStringAsync($"http://127.0.0.1:{httpPort}/metrics");
        publisher.StandardInput.Close();
        Assert.True(failures.Count == 0, string.Join("\n", failures) + "\n" + gateway.Output);
        Assert.Contains("\ncoapgw_coap_observers 1\n", "\n" + metrics, StringComparison.Ordinal);
        // Within a round, three of the four registrations are replaced. Across rounds, the previous round's newest
        // relation is replaced by this round's first registration, unless it already ended because its socket closed
        // (an update to a closed port comes back as ICMP, and the relation goes): so at least 3 per round, at most 4.
        var replaced = long.Parse(metrics.Split('\n').Single(l => l.StartsWith("coapgw_coap_observers_replaced_total ", StringComparison.Ordinal)).Split(' ')[1], CultureInfo.InvariantCulture);
        Assert.True(replaced >= Rounds * (Sockets - 1) && replaced <= Rounds * Sockets - 1, $"{replaced} relations replaced in {Rounds} rounds of {Sockets}");
        Console.WriteLine($"observe #24: {Rounds} rounds of {Sockets} registrations + update in {clock.Elapsed.TotalSeconds:F1} s");
    }

    private static bool IsFinal(CoapMessage m) => m.Code == CoapCode.Deleted && m.GetUIntOption(CoapOptionNumber.Observe) is null;

    /// <summary>The next message on <paramref name="socket"/> that satisfies <paramref name="match"/>; CON ones are ACKed like a client does.</summary>
    private static async Task<CoapMessage?> ReceiveAsync(Socket socket, Func<CoapMessage, bool> match, IPEndPoint server, CancellationToken cancel = default)
    {
        var buffer = new byte[1500];
        using var window = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        window.CancelAfter(Wait);
        try
        {
            while (true)
            {
                var received = await socket.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0), window.Token);
                if (!CoapCodec.TryDecode(buffer.AsMemory(0, received.ReceivedBytes).ToArray(), out var message, out _)) continue;
                if (message.Type == CoapMessageType.Confirmable) socket.SendTo(CoapCodec.Encode(CoapMessage.EmptyAck(message.MessageId)), server);
                if (match(message)) return message;
            }
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }
}
