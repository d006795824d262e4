using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Gateway.Coap.Codec;
using Gateway.Coap.Messages;
using Gateway.Interop.Tests.Support;

namespace Gateway.Interop.Tests.EndToEnd;

/// <summary>
/// reliability.md S6 against the running gateway: 100,000 guessed ThingsBoard tokens and Exosite CIKs from one
/// address. At most the limiter's burst plus its rate of 4.01 answers come back (then silence), no guess
/// succeeds, a valid device on another address is still served, and neither the log output nor any file in the
/// data directory contains a guessed credential.
/// </summary>
public sealed class BruteForceTests
{
    private const string Marker = "S6GUESS";

    [Fact]
    public async Task HundredThousandGuesses_FewAnswers_NoSuccess_NoCredentialInLogsOrFiles()
    {
        string dataDir = Path.Combine(Path.GetTempPath(), $"coapgw-e2e-s6-{Guid.NewGuid():N}");
        try
        {
            string token = await CloudSide.AddDeviceAsync(dataDir, "Real Dev");
            await using var gateway = await GatewayProcess.StartAsync(dataDir);
            using var attacker = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            attacker.Bind(new IPEndPoint(IPAddress.Parse("127.0.0.66"), 0));
            var random = new Random(6);
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < 100_000; i++)
            {
                // Guesses carry the marker, so one search finds any of them in logs or files.
                string guess = Marker + random.NextInt64().ToString("x16", System.Globalization.CultureInfo.InvariantCulture);
                var request = i % 2 == 0
                    ? RequestBuilder.Build(CoapCode.Post, $"api/v1/{guess}/telemetry", Encoding.UTF8.GetBytes("{\"t\":1}"), 50)
                    : RequestBuilder.Build(CoapCode.Get, $"1a/temp?{Convert.ToHexString(Encoding.ASCII.GetBytes(guess))[..40]}");
                var datagram = CoapCodec.Encode(request);
                datagram[2] = (byte)(i >> 8);
                datagram[3] = (byte)i;
                attacker.SendTo(datagram, gateway.IPv4EndPoint);
                if (i % 1000 == 999) Thread.Sleep(10); // within the gateway's receive buffer
            }
            double seconds = clock.Elapsed.TotalSeconds;

            // Count what came back: only 4.01s (or nothing), and no more than burst + rate × duration.
            int unauthorized = 0, other = 0;
            var buffer = new byte[2048];
            attacker.ReceiveTimeout = 1000;
            while (true)
            {
                int length;
                try { length = attacker.Receive(buffer); }
                catch (SocketException) { break; }
                if (!CoapCodec.TryDecode(buffer.AsMemory(0, length).ToArray(), out var answer, out _)) { other++; continue; }
                if (answer.Code == CoapCode.Unauthorized) unauthorized++;
                else if (!answer.IsEmpty) other++;
            }
            Assert.Equal(0, other);
            // The first failures are answered (burst 20), then the address gets silence for 5 minutes.
            Assert.True(unauthorized >= 10 && unauthorized <= 20 + 10 * (seconds + 2), $"{unauthorized} 4.01 answers in {seconds:F1} s\n{gateway.Output}");

            // The real device, on another address, is unaffected.
            var (result, responses) = await LibcoapClient.TraceAsync("-m", "post", "-e", "{\"ok\":1}", $"coap://127.0.0.1:{gateway.Port}/api/v1/{token}/telemetry");
            Assert.True(responses.Any(r => r.Code == "2.01"), result.Describe());

            await gateway.StopAsync();
            Assert.DoesNotContain(Marker, gateway.Output, StringComparison.Ordinal);
            var marker = Encoding.ASCII.GetBytes(Marker);
            var markerHex = Encoding.ASCII.GetBytes(Convert.ToHexString(marker)[..12]);
            foreach (var file in Directory.GetFiles(dataDir, "*", SearchOption.AllDirectories))
            {
                var bytes = File.ReadAllBytes(file);
                Assert.True(bytes.AsSpan().IndexOf(marker) < 0 && bytes.AsSpan().IndexOf(markerHex) < 0, $"{file} holds a guessed credential");
            }
        }
        finally
        {
            try { Directory.Delete(dataDir, recursive: true); } catch (IOException) { }
        }
    }
}
