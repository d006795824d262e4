using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using Gateway.Coap;
using Gateway.Coap.Messages;
using Gateway.Coap.Transport;
using Gateway.Interop.Tests.Support;
using Gateway.Storage;
using Gateway.Storage.Outbox;
using Gateway.TestKit;

namespace Gateway.Interop.Tests.EndToEnd;

/// <summary>
/// reliability.md R15 at CI size: 10,000 confirmable telemetry POSTs from 100 devices (one request outstanding
/// each, RFC 7252 NSTART 1) to the running gateway through a relay that drops 20 % of the datagrams in each
/// direction. At least 99 % are acknowledged within MAX_RETRANSMIT (theory: 1 − 0.36^5 ≈ 99.4 %), every
/// acknowledged value is stored, and no retransmission ever stores a row twice. Client timers are shortened
/// (ACK_TIMEOUT 100 ms) so the run takes seconds; the gateway runs with its defaults.
/// </summary>
public sealed class LossyLinkTests
{
    private const int Devices = 100, PerDevice = 100;

    [Fact]
    public async Task TenThousandPostsThroughTwentyPercentLoss_AtLeast99PercentAcknowledged_NoRowTwice()
    {
        string dataDir = Path.Combine(Path.GetTempPath(), $"coapgw-e2e-lossy-{Guid.NewGuid():N}");
        try
        {
            string token = await CloudSide.AddDeviceAsync(dataDir, "Lossy Dev");
            var acked = new ConcurrentBag<int>();
            long dropped, forwarded;
            await using (var gateway = await GatewayProcess.StartAsync(dataDir)) // no cloud: every row stays in the outbox
            {
                using var relay = new UdpFaultRelay(gateway.IPv4EndPoint, lossPerDirection: 0.2, seed: 15);
                var options = new CoapEndpointOptions
                {
                    AckTimeout = TimeSpan.FromMilliseconds(100), AckRandomFactor = 1.5, MaxRetransmit = 4, MaxOutstandingRequests = 1, ReceiveThreads = 1,
                };
                var path = new[] { "api", "v1", token, "telemetry" }.Select(s => CoapOption.FromString(CoapOptionNumber.UriPath, s))
                    .Append(CoapOption.FromUInt(CoapOptionNumber.ContentFormat, 50)).ToArray();
                await Task.WhenAll(Enumerable.Range(0, Devices).Select(d => Task.Run(async () =>
                {
                    using var device = new CoapEndpoint(new UdpDatagramTransport(new IPEndPoint(IPAddress.Loopback, 0)), null, options);
                    device.Start();
                    for (int k = 0; k < PerDevice; k++)
                    {
                        int value = d * PerDevice + k;
                        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                        try
                        {
                            var response = await device.SendRequestAsync(relay.EndPoint, CoapCode.Post, path, Encoding.UTF8.GetBytes($"{{\"v\":{value}}}"),
                                cancellationToken: limit.Token);
                            if (response.Code == CoapCode.Created) acked.Add(value);
                        }
                        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
                        {
                            // Given up after MAX_RETRANSMIT: the device would try again later; this test counts it as not acknowledged.
                        }
                    }
                })));
                (dropped, forwarded) = (relay.Dropped, relay.Forwarded);
                Assert.Equal(0, await gateway.StopAsync());
            }

            var stored = await StoredValuesAsync(dataDir);
            var twice = stored.GroupBy(v => v).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
            Assert.True(twice.Count == 0, $"{twice.Count} values stored more than once, e.g. {string.Join(", ", twice.Take(5))}");
            var missing = acked.Except(stored).ToList();
            Assert.True(missing.Count == 0, $"{missing.Count} acknowledged values not stored, e.g. {string.Join(", ", missing.Take(5))}");
            Assert.True(acked.Count >= Devices * PerDevice * 99 / 100, $"{acked.Count} of {Devices * PerDevice} acknowledged");
            // The loss really happened (about a fifth of every datagram that crossed the relay).
            double loss = (double)dropped / (dropped + forwarded);
            Assert.True(loss is > 0.17 and < 0.23, $"relay dropped {dropped} of {dropped + forwarded}");
        }
        finally
        {
            try { Directory.Delete(dataDir, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>Every "v" value in the telemetry rows of <paramref name="device"/> in the stopped gateway's outbox.</summary>
    internal static async Task<List<int>> StoredValuesAsync(string dataDir, string device = "Lossy Dev")
    {
        using var database = SqliteDatabase.Open(new StorageOptions { DataDir = dataDir });
        await using var outbox = new SqliteOutbox(database);
        var values = new List<int>();
        foreach (var row in await outbox.LeaseAsync(100_000, TimeSpan.FromMinutes(1)))
        {
            if (row.Message.Kind != OutboxMessageKind.Telemetry || row.Message.Device != device) continue; // not the gateway's health rows
            using var json = JsonDocument.Parse(row.Message.Payload);
            foreach (var entry in json.RootElement.EnumerateArray())
                values.Add(entry.GetProperty("values").GetProperty("v").GetInt32());
        }
        return values;
    }
}
