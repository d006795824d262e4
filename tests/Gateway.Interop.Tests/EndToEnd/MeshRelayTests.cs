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
/// frame) is dropped, every datagram is delayed by 200–2,000 ms at random and 10 % are lost in each direction (fixed
/// seed), with long transmission parameters on both sides (RFC 7252 §4.8.1: ACK_TIMEOUT above the slowest round trip
/// of 4 s, so a retransmission means a loss). Through it, at once: confirmable telemetry POSTs (≥ 99 % acknowledged,
/// none stored twice, every acknowledged one stored, and one not acknowledged only when the mesh lost every one of its
/// transmissions or of the gateway's answers: at 10 % loss each way that is 0.19^5 per POST), a firmware download in
/// 32-byte Block2 blocks (byte-exact; RFC 7959), and an Exosite dataport observation that ends on the last value
/// written (RFC 7641 §1.2: eventual consistency). The relay journals every datagram, so each exchange a device gives up
/// and tries again, and each re-registration, is checked against what the mesh really lost. The CI form keeps the mesh's real timing and makes the load small (32 POSTs, ACK_TIMEOUT 4 s, under a
/// minute); <c>GATEWAY_TESTS_MESH_FULL=1</c> (tests/reliability-long) runs 100 POSTs and a 600-byte image with the
/// ACK_TIMEOUT of 10 s a real mesh would be configured with.
/// </summary>
public sealed class MeshRelayTests(ITestOutputHelper output)
{
    private const int Devices = 4, MeshFrame = 127;

    /// <summary>How much goes through the mesh and the ACK_TIMEOUT of both sides.</summary>
    private sealed record Scale(string Name, int PerDevice, int ImageBytes, int AckTimeoutSeconds);

    private static readonly Scale Run = Environment.GetEnvironmentVariable("GATEWAY_TESTS_MESH_FULL") == "1"
        ? new("full", PerDevice: 25, ImageBytes: 600, AckTimeoutSeconds: 10)
        : new("CI", PerDevice: 8, ImageBytes: 300, AckTimeoutSeconds: 4);

    private static readonly UdpFaultRelay.MeshLink Link = new(MeshFrame, TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(2000));

    private static readonly CoapEndpointOptions DeviceOptions = new()
    {
        AckTimeout = TimeSpan.FromSeconds(Run.AckTimeoutSeconds), AckRandomFactor = 1.5, MaxRetransmit = 4, MaxOutstandingRequests = 1, ReceiveThreads = 1,
        PreferredBlockSize = 32,
    };

    /// <summary>
    /// Bounds each request and the observation: a device gives a request up after MAX_TRANSMIT_WAIT (§4.8.2) and may try
    /// once more (<see cref="AgainAfterTimeout"/>); the rest is room for the observation's writes.
    /// </summary>
    private static readonly TimeSpan Limit = DeviceOptions.MaxTransmitWait * 2 + TimeSpan.FromSeconds(Run.PerDevice * 3 * Run.AckTimeoutSeconds);

    private int _retried; // exchanges a device gave up and tried again
    private int _reregistered; // observations registered again after no notification came

    /// <summary>Longer than a notification's retransmissions last (ACK_TIMEOUT × 15 × ACK_RANDOM_FACTOR, RFC 7252 §4.8.2) plus the mesh's round trip.</summary>
    private static readonly TimeSpan NotificationPatience = TimeSpan.FromSeconds(Run.AckTimeoutSeconds * 15 * 1.5 + 5);

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
            var image = new byte[Run.ImageBytes];
            new Random(802154).NextBytes(image);
            string imageFile = Path.Combine(dataDir, "fw.bin");
            await File.WriteAllBytesAsync(imageFile, image);
            await VethNamespaces.Cli(dataDir, "firmware", "add", "--title", "fw", "--version", "2", "--file", imageFile, "--device", "Mesh Node");

            var acked = new ConcurrentBag<int>();
            var started = System.Diagnostics.Stopwatch.StartNew();
            long dropped, forwarded, oversized;
            IReadOnlyList<UdpFaultRelay.ConfirmableFate> fates;
            int notificationsLost;
            await using (var gateway = await GatewayProcess.StartAsync(dataDir, $"--Coap:AckTimeoutSeconds={Run.AckTimeoutSeconds}", "--Coap:MaxBlockSize=32"))
            {
                using var relay = new UdpFaultRelay(gateway.IPv4EndPoint, lossPerDirection: 0.1, seed: 17, Link);
                var telemetry = Task.WhenAll(Enumerable.Range(0, Devices).Select(d => Task.Run(async () =>
                {
                    using var device = Device();
                    var uri = Uri($"api/v1/{token}/telemetry").Append(CoapOption.FromUInt(CoapOptionNumber.ContentFormat, 50)).ToArray();
                    for (int k = 0; k < Run.PerDevice; k++)
                    {
                        int value = d * Run.PerDevice + k;
                        using var limit = new CancellationTokenSource(Limit);
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
                    using var limit = new CancellationTokenSource(Limit);
                    return await AgainAfterTimeout(() => device.RequestAsync(relay.EndPoint, CoapCode.Get, Uri($"fw/{token}", "title=fw", "version=2"), cancellationToken: limit.Token));
                });
                var observed = ObserveDataportAsync(relay.EndPoint, dataDir);

                Exception? failed = null;
                try { await Task.WhenAll(telemetry, firmware, observed); }
                catch (Exception e) { failed = e; }
                // Whatever is still crossing the mesh (an observation's cancellation) arrives before the requests' fates are read.
                await Task.Delay(Link.MaxDelay * 2 + TimeSpan.FromSeconds(1));
                (dropped, forwarded, oversized, fates) = (relay.Dropped, relay.Forwarded, relay.Oversized, relay.RequestFates());
                notificationsLost = relay.ServerConfirmableFates().Count(f => f.Reached == 0);
                if (failed is not null)
                {
                    var lost = fates.Where(f => f.Delivered == 0);
                    Assert.Fail($"{failed.GetType().Name}: {failed.Message}\nrequests without an answer through the mesh: {string.Join("; ", lost)}; " +
                        $"{oversized} datagrams above {MeshFrame} bytes; relay dropped {dropped} of {dropped + forwarded}\n{failed}");
                }
                var download = await firmware;
                Assert.Equal(CoapCode.Content, download.Code);
                Assert.Equal(image, download.Payload.ToArray());
                Assert.Equal(0, await gateway.StopAsync());
            }

            var stored = await LossyLinkTests.StoredValuesAsync(dataDir, "Mesh Node");
            var twice = stored.GroupBy(v => v).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
            // Requests of which no answer came through: each copy lost on the way in, or its answer on the way out.
            var unanswered = fates.Where(f => f.Delivered == 0).ToList();
            int notAcked = Devices * Run.PerDevice - acked.Count;
            string figures = FormattableString.Invariant(
                $"mesh ({Run.Name}: 200-2000 ms, 10 % loss, ACK_TIMEOUT {Run.AckTimeoutSeconds} s): {acked.Count}/{Devices * Run.PerDevice} acknowledged ({100.0 * acked.Count / (Devices * Run.PerDevice):0.#} %), {unanswered.Count} requests lost by the mesh in every transmission ({_retried} tried again), {notificationsLost} notifications with no copy through (lost, or replaced by a newer one, RFC 7641 §4.5.2; {_reregistered} registrations again), {stored.Count} rows stored, {twice.Count} duplicates, {Run.ImageBytes}-byte Block2 image byte-exact, observation ended on the last value; relay dropped {dropped} of {dropped + forwarded} datagrams, {oversized} above {MeshFrame} bytes; {started.Elapsed.TotalSeconds:0} s");
            output.WriteLine(figures);
            Figures.Report(figures);
            Assert.True(twice.Count == 0, $"{twice.Count} values stored more than once, e.g. {string.Join(", ", twice.Take(5))}");
            var missing = acked.Except(stored).ToList();
            Assert.True(missing.Count == 0, $"{missing.Count} acknowledged values not stored, e.g. {string.Join(", ", missing.Take(5))}");
            // RFC 7252 §4.5: every copy of a request that reached the gateway is answered, a duplicate with the cached response.
            var ignored = unanswered.Where(f => f.Answered < f.Reached).ToList();
            Assert.True(ignored.Count == 0, $"the gateway left copies of requests unanswered: {string.Join("; ", ignored)}");
            Assert.True(notAcked + _retried <= unanswered.Count,
                $"{notAcked} POSTs not acknowledged and {_retried} exchanges tried again, but {unanswered.Count} requests lost by the mesh: {string.Join("; ", unanswered)}");
            Assert.True(_reregistered <= notificationsLost, $"the observer registered again {_reregistered} times, but every notification had a copy through");
            // At the full scale 99 % is the target; at the CI scale (32 POSTs) one mesh-lost POST is 96.9 %, accounted for above.
            if (Run.Name == "full") Assert.True(acked.Count * 100 >= Devices * Run.PerDevice * 99, $"{acked.Count} of {Devices * Run.PerDevice} acknowledged");
            // Everything fitted the frame (32-byte blocks, short tokens) and the loss really happened.
            Assert.Equal(0, oversized);
            double loss = (double)dropped / (dropped + forwarded);
            Assert.True(loss is > 0.04 and < 0.18, $"relay dropped {dropped} of {dropped + forwarded}");
        }
        finally
        {
            try { Directory.Delete(dataDir, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>
    /// A device that gave an exchange up (MAX_RETRANSMIT, RFC 7252 §4.2) tries it again, as a firmware or provisioning
    /// agent would. At 10 % loss each way one exchange in ~4,000 loses all five copies, and the relay's fixed-seed loss
    /// sequence has a run of 7 drops in 13 datagrams that a run reaches when few exchanges are left, so it happens in
    /// CI. Each retry is counted and must be matched by a request the mesh lost in every copy (the journal, above).
    /// </summary>
    private async Task<T> AgainAfterTimeout<T>(Func<Task<T>> exchange)
    {
        for (int attempt = 1; ; attempt++)
        {
            try { return await exchange(); }
            catch (TimeoutException) when (attempt < 3) { Interlocked.Increment(ref _retried); }
        }
    }

    /// <summary>
    /// Activation is not idempotent: when the mesh lost every copy of its answer, the gateway has activated the device, and
    /// the device's second try is refused (4.04, peers.md §A.5). Then the vendor enables the serial number again, as
    /// Exosite's regenerating a CIK does (remove and add it here), and the device activates anew.
    /// </summary>
    private async Task<CoapMessage> ActivateAsync(CoapEndpoint device, IPEndPoint mesh, string dataDir, CancellationToken cancellationToken)
    {
        for (int enabled = 1; ; enabled++)
        {
            int retriedBefore = _retried;
            var answer = await AgainAfterTimeout(() => device.RequestAsync(mesh, CoapCode.Post, Uri("provision/activate/acme/m1/0001"), cancellationToken: cancellationToken));
            if (answer.Code != CoapCode.NotFound || _retried == retriedBefore || enabled == 3) return answer;
            await VethNamespaces.Cli(dataDir, "devices", "remove", "Exo Mesh");
            await CloudSide.AddDeviceAsync(dataDir, "Exo Mesh", "--vendor", "acme", "--model", "m1", "--sn", "0001");
        }
    }

    /// <summary>Activates an Exosite device, observes its dataport and writes five values; the observer must end on the last.</summary>
    private async Task ObserveDataportAsync(IPEndPoint mesh, string dataDir)
    {
        using var device = Device();
        using var limit = new CancellationTokenSource(Limit);
        // 40 bytes of CIK come as two 32-byte blocks (Coap:MaxBlockSize); RequestAsync follows Block2.
        var activated = await ActivateAsync(device, mesh, dataDir, limit.Token);
        string cik = Encoding.UTF8.GetString(activated.Payload.Span);
        Assert.True(activated.Code == CoapCode.Content && cik.Length == 40, $"activation: {activated}");

        var dataport = Uri("1a/level", cik);
        Task<IAsyncEnumerator<CoapMessage>> RegisterAsync(CancellationToken token) => AgainAfterTimeout(async () =>
        {
            var registering = device.ObserveAsync(mesh, dataport, cancellationToken: token).GetAsyncEnumerator(token);
            try
            {
                Assert.True(await registering.MoveNextAsync()); // the registration's answer
                return registering;
            }
            catch
            {
                await registering.DisposeAsync();
                throw;
            }
        });
        using var observation = CancellationTokenSource.CreateLinkedTokenSource(limit.Token);
        await using var notifications = await RegisterAsync(observation.Token);
        using var writer = Device();
        for (int value = 1; value <= 5; value++)
        {
            var text = Encoding.UTF8.GetBytes(value.ToString(System.Globalization.CultureInfo.InvariantCulture));
            // Exosite answers 4.12 to writes closer than its limit allows; the device tries again a little later.
            while ((await AgainAfterTimeout(() => writer.SendRequestAsync(mesh, CoapCode.Post, dataport, text, cancellationToken: limit.Token))).Code != CoapCode.Changed)
            {
                await Task.Delay(300, limit.Token);
            }
        }
        string last = "";
        while (last != "5")
        {
            var next = notifications.MoveNextAsync().AsTask();
            if (await Task.WhenAny(next, Task.Delay(NotificationPatience, limit.Token)) != next)
            {
                // The gateway gave a notification up after MAX_RETRANSMIT and ended the relation (RFC 7641 §4.5); a client
                // that hears nothing registers again (§3.3.1) and gets the current value. Counted, and checked against the journal.
                Interlocked.Increment(ref _reregistered);
                await observation.CancelAsync();
                await Assert.ThrowsAnyAsync<OperationCanceledException>(() => next);
                await using var again = await RegisterAsync(limit.Token);
                last = Encoding.UTF8.GetString(again.Current.Payload.Span);
                break;
            }
            if (!await next) break;
            last = Encoding.UTF8.GetString(notifications.Current.Payload.Span);
        }
        Assert.Equal("5", last);
    }
}
