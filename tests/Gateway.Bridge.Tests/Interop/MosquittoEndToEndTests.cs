using Gateway.TestKit;
using System.Collections.Concurrent;
using System.Text.Json;
using Gateway.Domain;
using Gateway.Mqtt.Client;
using Gateway.Storage.Attributes;
using Gateway.Storage.Outbox;

namespace Gateway.Bridge.Tests.Interop;

/// <summary>
/// The bridge against a real mosquitto started by the test, with mosquitto_sub / mosquitto_pub playing
/// ThingsBoard (thingsboard.md §4.2 shapes). Every wait is bounded (≤ 15 s).
/// </summary>
public sealed class MosquittoEndToEndTests
{
    private static MqttClientOptions Options(int port, string clientId) => new()
    {
        Host = "127.0.0.1", Port = port, ClientId = clientId, KeepAliveSeconds = 30, ReconnectMinSeconds = 0.1, ReconnectMaxSeconds = 0.5,
    };

    /// <summary>Publishes probes until the cloud subscriber shows it is subscribed.</summary>
    private static async Task WaitSubscribedAsync(MosquittoBroker broker, ConcurrentQueue<string> lines)
    {
        var deadline = DateTime.UtcNow + BridgeHarness.Timeout;
        while (!lines.Any(l => l.StartsWith("v1/gateway/probe ", StringComparison.Ordinal)))
        {
            Assert.True(DateTime.UtcNow < deadline, "mosquitto_sub never subscribed");
            await MosquittoBroker.RunToolAsync("mosquitto_pub", "-h", "127.0.0.1", "-p", broker.Port.ToString(), "-t", "v1/gateway/probe", "-q", "1", "-m", "x");
            await Task.Delay(100);
        }
    }

    /// <summary>(device, ts, value) of every telemetry line the cloud received, in arrival order.</summary>
    private static List<(string Device, long Ts, int Value)> Telemetry(IEnumerable<string> lines)
    {
        var result = new List<(string, long, int)>();
        foreach (var line in lines.Where(l => l.StartsWith(GatewayTopics.Telemetry + " ", StringComparison.Ordinal)))
        {
            using var doc = JsonDocument.Parse(line[(GatewayTopics.Telemetry.Length + 1)..]);
            foreach (var device in doc.RootElement.EnumerateObject())
                foreach (var item in device.Value.EnumerateArray())
                    result.Add((device.Name, item.GetProperty("ts").GetInt64(), item.GetProperty("values").GetProperty("v").GetInt32()));
        }
        return result;
    }

    [Fact]
    public async Task Broker_outage_every_row_arrives_as_stored_in_order_per_device_and_is_acknowledged()
    {
        using var broker = new MosquittoBroker(persistent: true);
        var lines = new ConcurrentQueue<string>();
        using var cloud = broker.StartCloudSubscriber("cloud-outage", lines);
        try
        {
            await WaitSubscribedAsync(broker, lines);
            await using var h = new BridgeHarness(Options(broker.Port, "gw-outage"), o => o.BatchSize = 100);
            var devices = new[] { "Boiler A", "Pump \"B\"", "Zähler-3", "dev-4" };
            int n = 0;
            async Task EnqueueAsync(int count) { for (int i = 0; i < count; i++, n++) await h.TelemetryAsync(devices[n % 4], 1_700_000_000_000 + n, n); }

            await EnqueueAsync(200);
            await h.StartAsync();
            await BridgeHarness.WaitForAsync(async () => await h.DepthAsync() == 0, "the first 200 rows to be acknowledged");

            broker.Stop();
            await BridgeHarness.WaitForAsync(() => !h.Status.Connected, "the bridge to notice the outage");
            await EnqueueAsync(500);  // stored during the outage
            await Task.Delay(500);
            Assert.Equal(500, await h.DepthAsync());  // nothing acknowledged without a broker

            broker.Start();
            await EnqueueAsync(100);  // and while the link comes back
            await BridgeHarness.WaitForAsync(async () => await h.DepthAsync() == 0, "the backlog to drain after the restart");
            await BridgeHarness.WaitForAsync(() => Telemetry(lines).Select(t => t.Ts).Distinct().Count() == 800, "the cloud to receive all 800 rows");

            var received = Telemetry(lines);
            // Exactly as stored: ts n carries value n for device n % 4, whatever the packing.
            Assert.All(received, r => Assert.Equal((devices[r.Value % 4], 1_700_000_000_000 + r.Value), (r.Device, r.Ts)));
            foreach (var device in devices)
            {
                // Per-device order by first arrival (a resend after the cut may repeat rows, at most one window).
                var firstSeen = received.Where(r => r.Device == device).Select(r => r.Ts).Distinct().ToList();
                Assert.Equal(firstSeen.Order().ToList(), firstSeen);
                Assert.Equal(200, firstSeen.Count);
            }
            Assert.True(received.Count - 800 <= h.Options.MaxInFlight * h.Options.BatchSize, $"{received.Count - 800} duplicates");
            Assert.Equal(800, h.Status.Snapshot().RowsForwarded);
            Assert.True(h.Status.Snapshot().Reconnects >= 1);
        }
        finally
        {
            cloud.Kill();
        }
    }

    [Fact]
    public async Task Compressed_outage_holds_100000_rows_in_a_bounded_database_then_drains_them_all_in_order()
    {
        // reliability.md R10/R11 in their CI form (10^5 messages): 100 devices keep writing while the cloud is away.
        using var broker = new MosquittoBroker(persistent: true);
        var lines = new ConcurrentQueue<string>();
        await using var h = new BridgeHarness(Options(broker.Port, "gw-r10"), o => o.BatchSize = 500);
        const int Devices = 100, PerDevice = 1000;
        await Task.WhenAll(Enumerable.Range(0, Devices).Select(d => Task.Run(async () =>
        {
            for (int k = 0; k < PerDevice; k++) await h.TelemetryAsync($"dev-{d}", 1_700_000_000_000 + k, d * PerDevice + k);
        })));
        Assert.Equal(Devices * PerDevice, await h.DepthAsync());
        // R10's budget is about 300 bytes a row on disk (database and WAL together).
        long bytes = Directory.GetFiles(Path.GetDirectoryName(h.Database.Path)!).Sum(f => new FileInfo(f).Length);
        Assert.True(bytes <= 350L * Devices * PerDevice, $"{bytes / (double)(Devices * PerDevice):F0} bytes per held row");

        using var cloud = broker.StartCloudSubscriber("cloud-r10", lines);
        try
        {
            await WaitSubscribedAsync(broker, lines);
            await h.StartAsync();
            await BridgeHarness.WaitForAsync(async () => await h.DepthAsync() == 0, "the backlog to drain");
            await BridgeHarness.WaitForAsync(() => Telemetry(lines).Count >= Devices * PerDevice, "every row upstream");
            var received = Telemetry(lines);
            Assert.Equal(Devices * PerDevice, received.Count); // no crash, no cut: not one duplicate
            foreach (var device in received.GroupBy(r => r.Device))
                Assert.Equal(device.Select(r => r.Ts).Order(), device.Select(r => r.Ts)); // per-device FIFO
        }
        finally
        {
            cloud.Kill();
        }
    }

    [Fact]
    public async Task Rpc_reply_stored_behind_a_telemetry_backlog_goes_up_in_the_first_batch()
    {
        using var broker = new MosquittoBroker(persistent: true);
        var lines = new ConcurrentQueue<string>();
        using var cloud = broker.StartCloudSubscriber("cloud-priority", lines);
        try
        {
            await WaitSubscribedAsync(broker, lines);
            await using var h = new BridgeHarness(Options(broker.Port, "gw-priority"), o => o.BatchSize = 100);
            // Stored while the link was down: 3,000 rows of telemetry, then the device answers an RPC.
            for (int n = 0; n < 3000; n++) await h.TelemetryAsync($"dev-{n % 10}", 1_700_000_000_000 + n, n);
            await h.EnqueueAsync("dev-3", OutboxMessageKind.RpcReply, "{\"id\":9,\"data\":{\"ok\":true}}");

            await h.StartAsync();
            const string Reply = "v1/gateway/rpc {\"device\":\"dev-3\",\"id\":9,\"data\":{\"ok\":true}}";
            await BridgeHarness.WaitForAsync(() => lines.Contains(Reply), "the RPC reply upstream");
            // ThingsBoard times an RPC out after seconds: the reply may not wait for the backlog (at most one batch ahead of it).
            var arrived = lines.ToList();
            int before = Telemetry(arrived.TakeWhile(l => l != Reply)).Count;
            Assert.True(before <= 100, $"{before} telemetry rows went up before the RPC reply");
            await BridgeHarness.WaitForAsync(async () => await h.DepthAsync() == 0, "the backlog to drain");
            await BridgeHarness.WaitForAsync(() => Telemetry(lines).Select(t => t.Ts).Distinct().Count() == 3000, "all 3,000 rows upstream");
        }
        finally
        {
            cloud.Kill();
        }
    }

    [Fact]
    public async Task Rpc_and_attribute_updates_from_the_cloud_reach_storage_and_the_signal_and_the_reply_goes_back_with_the_id()
    {
        using var broker = new MosquittoBroker(persistent: true);
        var lines = new ConcurrentQueue<string>();
        using var cloud = broker.StartCloudSubscriber("cloud-downlink", lines);
        try
        {
            await WaitSubscribedAsync(broker, lines);
            await using var h = new BridgeHarness(Options(broker.Port, "gw-downlink"));
            await h.AddDeviceAsync("thermo-1", "thermostat");
            await h.StartAsync();
            await BridgeHarness.WaitForAsync(() => lines.Contains("v1/gateway/connect {\"device\":\"thermo-1\",\"type\":\"thermostat\"}"), "the announcement");
            string port = broker.Port.ToString();

            await MosquittoBroker.RunToolAsync("mosquitto_pub", "-h", "127.0.0.1", "-p", port, "-t", "v1/gateway/rpc", "-q", "1",
                "-m", "{\"device\":\"thermo-1\",\"data\":{\"id\":42,\"method\":\"setTemp\",\"params\":{\"t\":21.5}}}");
            await BridgeHarness.WaitForAsync(async () => (await h.Downlinks.PendingAsync("thermo-1")).Any(d => d.RequestId == 42), "the RPC in the downlink queue");
            var rpc = (await h.Downlinks.PendingAsync("thermo-1")).Single(d => d.RequestId == 42);
            Assert.Equal("{\"id\":42,\"method\":\"setTemp\",\"params\":{\"t\":21.5}}", System.Text.Encoding.UTF8.GetString(rpc.Payload.Span));
            Assert.True(rpc.Expires - rpc.Created >= TimeSpan.FromSeconds(h.Options.RpcTtlSeconds - 1));
            await BridgeHarness.WaitForAsync(() => { lock (h.Signals) return h.Signals.Any(s => s.Kind == DownlinkKind.Rpc && s.Device == "thermo-1"); }, "the RPC signal");

            // The device's reply (an outbox row, as the device side writes it) goes back with the same id.
            await h.EnqueueAsync("thermo-1", OutboxMessageKind.RpcReply, "{\"id\":42,\"data\":{\"ok\":true}}");
            await BridgeHarness.WaitForAsync(() => lines.Contains("v1/gateway/rpc {\"device\":\"thermo-1\",\"id\":42,\"data\":{\"ok\":true}}"), "the RPC reply upstream");

            await MosquittoBroker.RunToolAsync("mosquitto_pub", "-h", "127.0.0.1", "-p", port, "-t", "v1/gateway/attributes", "-q", "1",
                "-m", "{\"device\":\"thermo-1\",\"data\":{\"target\":22,\"mode\":\"eco\"}}");
            await BridgeHarness.WaitForAsync(async () => (await h.Attributes.GetAsync("thermo-1", AttributeScope.Shared)).Count == 2, "the shared attributes in the cache");
            var cached = (await h.Attributes.GetAsync("thermo-1", AttributeScope.Shared)).ToDictionary(a => a.Key, a => a.Json);
            Assert.Equal("22", cached["target"]);
            Assert.Equal("\"eco\"", cached["mode"]);
            await BridgeHarness.WaitForAsync(() => { lock (h.Signals) return h.Signals.Any(s => s.Kind == DownlinkKind.SharedAttributes); }, "the attribute signal");
            lock (h.Signals)
                Assert.Equal("{\"target\":22,\"mode\":\"eco\"}", System.Text.Encoding.UTF8.GetString(h.Signals.First(s => s.Kind == DownlinkKind.SharedAttributes).Payload.Span));

            await MosquittoBroker.RunToolAsync("mosquitto_pub", "-h", "127.0.0.1", "-p", port, "-t", "v1/gateway/attributes", "-q", "1",
                "-m", "{\"device\":\"thermo-1\",\"data\":{\"deleted\":[\"mode\"]}}");
            await BridgeHarness.WaitForAsync(async () => (await h.Attributes.GetAsync("thermo-1", AttributeScope.Shared)).Count == 1, "the deletion");

            // Unknown device: counted, and the cloud gets an explicit error instead of a timeout.
            await MosquittoBroker.RunToolAsync("mosquitto_pub", "-h", "127.0.0.1", "-p", port, "-t", "v1/gateway/rpc", "-q", "1",
                "-m", "{\"device\":\"ghost\",\"data\":{\"id\":7,\"method\":\"reboot\",\"params\":null}}");
            await BridgeHarness.WaitForAsync(() => lines.Contains("v1/gateway/rpc {\"device\":\"ghost\",\"id\":7,\"data\":{\"error\":\"unknown device\"}}"), "the error reply for an unknown device");
            Assert.Equal(1, h.Status.Snapshot().DownlinkUnknownDevice);
            Assert.Empty(await h.Downlinks.PendingAsync("ghost"));
        }
        finally
        {
            cloud.Kill();
        }
    }

    [Fact]
    public async Task Attribute_request_through_the_cloud_link_is_answered_from_the_response_topic()
    {
        using var broker = new MosquittoBroker(persistent: true);
        await using var h = new BridgeHarness(Options(broker.Port, "gw-attr"));
        await h.AddDeviceAsync("thermo-1");
        // The cloud: answers each request on v1/gateway/attributes/response with the same id (§4.2).
        await using var tb = new MqttClient(Options(broker.Port, "thingsboard"));
        await tb.SubscribeAsync([new MqttSubscription { TopicFilter = GatewayTopics.AttributeRequest }]);
        tb.Start();
        await tb.WaitUntilConnectedAsync().WaitAsync(BridgeHarness.Timeout);
        var answering = Task.Run(async () =>
        {
            var request = await tb.Messages.ReadAsync(new CancellationTokenSource(BridgeHarness.Timeout).Token);
            using var doc = JsonDocument.Parse(request.Payload);
            var root = doc.RootElement;
            Assert.False(root.GetProperty("client").GetBoolean());
            Assert.Equal("thermo-1", root.GetProperty("device").GetString());
            var response = $"{{\"id\":{root.GetProperty("id").GetInt64()},\"device\":\"thermo-1\",\"value\":\"2.1.0\"}}";
            await tb.PublishAsync(new MqttMessage { Topic = GatewayTopics.AttributeResponse, Payload = System.Text.Encoding.UTF8.GetBytes(response) });
            return root.GetRawText();
        });
        await h.StartAsync();
        await BridgeHarness.WaitForAsync(() => h.CloudLink.IsConnected, "the link");

        var values = await h.CloudLink.RequestAttributesAsync("thermo-1", client: false, ["fw_version"], CancellationToken.None);
        Assert.NotNull(values);
        Assert.Equal("2.1.0", values["fw_version"]!.GetValue<string>());
        Assert.Contains("\"keys\":[\"fw_version\"]", await answering);
    }

    [Fact]
    public async Task Client_side_rpc_goes_out_as_the_gateways_own_and_the_cloud_reply_comes_back()
    {
        using var broker = new MosquittoBroker(persistent: true);
        await using var h = new BridgeHarness(Options(broker.Port, "gw-client-rpc"));
        // The cloud: mosquitto_sub sees the gateway's own client-side RPC requests (§4.1), mosquitto_pub replies.
        var lines = new ConcurrentQueue<string>();
        using var cloud = MosquittoBroker.StartTool("mosquitto_sub", "-h", "127.0.0.1", "-p", broker.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-t", "v1/devices/me/rpc/request/+", "-q", "1", "-v");
        cloud.OutputDataReceived += (_, e) => { if (e.Data is not null) lines.Enqueue(e.Data); };
        cloud.BeginOutputReadLine();
        try
        {
            var deadline = DateTime.UtcNow + BridgeHarness.Timeout;
            while (!lines.Any(l => l.StartsWith("v1/devices/me/rpc/request/probe ", StringComparison.Ordinal)))
            {
                Assert.True(DateTime.UtcNow < deadline, "mosquitto_sub never subscribed");
                await MosquittoBroker.RunToolAsync("mosquitto_pub", "-h", "127.0.0.1", "-p", broker.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    "-t", "v1/devices/me/rpc/request/probe", "-q", "1", "-m", "x");
                await Task.Delay(100);
            }
            await h.StartAsync();
            await BridgeHarness.WaitForAsync(() => h.CloudLink.IsConnected, "the link");

            var call = h.CloudLink.CallRpcAsync("thermo-1", "getWeather", System.Text.Json.Nodes.JsonNode.Parse("""{"city":"Oslo"}"""),
                new CancellationTokenSource(BridgeHarness.Timeout).Token);
            await BridgeHarness.WaitForAsync(() => lines.Any(l => l.StartsWith("v1/devices/me/rpc/request/1 ", StringComparison.Ordinal)), "the request at the cloud");
            Assert.Contains("""v1/devices/me/rpc/request/1 {"method":"getWeather","params":{"device":"thermo-1","params":{"city":"Oslo"}}}""", lines);
            await MosquittoBroker.RunToolAsync("mosquitto_pub", "-h", "127.0.0.1", "-p", broker.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "-t", "v1/devices/me/rpc/response/1", "-q", "1", "-m", """{"temp":21.5}""");

            var reply = await call.WaitAsync(BridgeHarness.Timeout);
            Assert.Equal("""{"temp":21.5}""", reply!.ToJsonString());
        }
        finally
        {
            cloud.Kill();
        }
    }
}
