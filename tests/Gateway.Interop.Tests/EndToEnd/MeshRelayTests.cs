using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Gateway.Coap;
using Gateway.Coap.Messages;
using Gateway.Coap.Transport;
using Gateway.Interop.Tests.Support;
using Gateway.TestKit;
using Xunit.Abstractions;

namespace Gateway.Interop.Tests.EndToEnd;

/// <summary>
/// Issue 17: devices behind a 6LoWPAN mesh. A relay stands for the mesh: a datagram above 127 bytes (one IEEE 802.15.4
/// frame) is dropped, every datagram is delayed at random and 10 % are lost in each direction (fixed seed). Time is
/// scaled down tenfold so the run stays under a minute: delays of 20–200 ms for the mesh's 200–2,000 ms, and
/// ACK_TIMEOUT 1 s (the RFC 7252 §4.8.1 floor) on both sides for the 10 s a real mesh would be configured with; the
/// loss is not scaled. Through it, at once: 100 confirmable telemetry POSTs (≥ 99 % acknowledged, none stored twice,
/// every acknowledged one stored), a firmware download in 32-byte Block2 blocks (byte-exact; RFC 7959), and an
/// Exosite dataport observation that ends on the last value written (RFC 7641 §1.2: eventual consistency).
/// </summary>
public sealed class MeshRelayTests(ITestOutputHelper output)
{
    private const int Devices = 4, PerDevice = 25, MeshFrame = 127;

    private static readonly CoapEndpointOptions DeviceOptions = new()
    {
        AckTimeout = TimeSpan.FromSeconds(1), AckRandomFactor = 1.5, MaxRetransmit = 4, MaxOutstandingRequests = 1, ReceiveThreads = 1, PreferredBlockSize = 32,
    };

    private static CoapEndpoint Device()
    {
        var device = new CoapEndpoint(new UdpDatagramTransport(new IPEndPoint(IPAddress.Loopback, 0)), null, DeviceOptions);
        device.Start();
        return device;
    }

    private static CoapOption[] Uri(string path, params string[] query) =>
        [.. path.Split('/').Select(s => CoapOption.FromString(CoapOptionNumber.UriPath, s)), .. query.Select(q => CoapOption.FromString(CoapOptionNumber.UriQuery, q))];

    [Fact]
    public async Task TelemetryBlock2AndObserve_ThroughASlowLossySmallFrameMesh_AllComplete()
    {
        string dataDir = Path.Combine(Path.GetTempPath(), $"coapgw-e2e-mesh-{Guid.NewGuid():N}");
        try
        {
            string token = await CloudSide.AddDeviceAsync(dataDir, "Mesh Node");
            await CloudSide.AddDeviceAsync(dataDir, "Exo Mesh", "--vendor", "acme", "--model", "m1", "--sn", "0001");
            var image = new byte[600];
            new Random(802154).NextBytes(image);
            string imageFile = Path.Combine(dataDir, "fw.bin");
            await File.WriteAllBytesAsync(imageFile, image);
            await VethNamespaces.Cli(dataDir, "firmware", "add", "--title", "fw", "--version", "2", "--file", imageFile, "--device", "Mesh Node");

            var acked = new ConcurrentBag<int>();
            UdpFaultRelay.MeshLink link = new(MeshFrame, TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(200));
            long dropped, forwarded, oversized;
            await using (var gateway = await GatewayProcess.StartAsync(dataDir, "--Coap:AckTimeoutSeconds=1", "--Coap:MaxBlockSize=32"))
            {
                using var relay = new UdpFaultRelay(gateway.IPv4EndPoint, lossPerDirection: 0.1, seed: 17, link);
                var telemetry = Task.WhenAll(Enumerable.Range(0, Devices).Select(d => Task.Run(async () =>
                {
                    using var device = Device();
                    var uri = Uri($"api/v1/{token}/telemetry").Append(CoapOption.FromUInt(CoapOptionNumber.ContentFormat, 50)).ToArray();
                    for (int k = 0; k < PerDevice; k++)
                    {
                        int value = d * PerDevice + k;
                        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                        try
                        {
                            var response = await device.SendRequestAsync(relay.EndPoint, CoapCode.Post, uri, Encoding.UTF8.GetBytes($"{{\"v\":{value}}}"), cancellationToken: limit.Token);
                            if (response.Code == CoapCode.Created) acked.Add(value);
                        }
                        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
                        {
                            // Given up after MAX_RETRANSMIT (§4.2): counted as not acknowledged.
                        }
                    }
                })));
                var firmware = Task.Run(async () =>
                {
                    using var device = Device();
                    using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(50));
                    return await device.RequestAsync(relay.EndPoint, CoapCode.Get, Uri($"fw/{token}", "title=fw", "version=2"), cancellationToken: limit.Token);
                });
                var observed = ObserveDataportAsync(relay.EndPoint);

                await Task.WhenAll(telemetry, firmware, observed);
                var download = await firmware;
                Assert.Equal(CoapCode.Content, download.Code);
                Assert.Equal(image, download.Payload.ToArray());
                (dropped, forwarded, oversized) = (relay.Dropped, relay.Forwarded, relay.Oversized);
                Assert.Equal(0, await gateway.StopAsync());
            }

            var stored = await LossyLinkTests.StoredValuesAsync(dataDir, "Mesh Node");
            output.WriteLine($"mesh: {acked.Count}/{Devices * PerDevice} acknowledged, {stored.Count} rows stored, relay dropped {dropped} of {dropped + forwarded} datagrams, {oversized} above {MeshFrame} bytes");
            var twice = stored.GroupBy(v => v).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
            Assert.True(twice.Count == 0, $"{twice.Count} values stored more than once, e.g. {string.Join(", ", twice.Take(5))}");
            var missing = acked.Except(stored).ToList();
            Assert.True(missing.Count == 0, $"{missing.Count} acknowledged values not stored, e.g. {string.Join(", ", missing.Take(5))}");
            Assert.True(acked.Count >= Devices * PerDevice * 99 / 100, $"{acked.Count} of {Devices * PerDevice} acknowledged");
            // Everything fitted the frame (32-byte blocks, short tokens) and the loss really happened.
            Assert.Equal(0, oversized);
            double loss = (double)dropped / (dropped + forwarded);
            Assert.True(loss is > 0.06 and < 0.14, $"relay dropped {dropped} of {dropped + forwarded}");
        }
        finally
        {
            try { Directory.Delete(dataDir, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>Activates an Exosite device, observes its dataport and writes five values; the observer must end on the last.</summary>
    private static async Task ObserveDataportAsync(IPEndPoint mesh)
    {
        using var device = Device();
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(50));
        // 40 bytes of CIK come as two 32-byte blocks (Coap:MaxBlockSize); RequestAsync follows Block2.
        var activated = await device.RequestAsync(mesh, CoapCode.Post, Uri("provision/activate/acme/m1/0001"), cancellationToken: limit.Token);
        string cik = Encoding.UTF8.GetString(activated.Payload.Span);
        Assert.True(activated.Code == CoapCode.Content && cik.Length == 40, $"activation: {activated}");

        var dataport = Uri("1a/level", cik);
        await using var notifications = device.ObserveAsync(mesh, dataport, cancellationToken: limit.Token).GetAsyncEnumerator(limit.Token);
        Assert.True(await notifications.MoveNextAsync()); // the registration's answer
        using var writer = Device();
        for (int value = 1; value <= 5; value++)
        {
            // Exosite answers 4.12 to writes closer than its limit allows; the device tries again a little later.
            while ((await writer.SendRequestAsync(mesh, CoapCode.Post, dataport, Encoding.UTF8.GetBytes(value.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                cancellationToken: limit.Token)).Code != CoapCode.Changed)
            {
                await Task.Delay(300, limit.Token);
            }
        }
        string last = "";
        while (last != "5" && await notifications.MoveNextAsync()) last = Encoding.UTF8.GetString(notifications.Current.Payload.Span);
        Assert.Equal("5", last);
    }
}
