using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Gateway.Mqtt.Client;
using Gateway.Storage.Outbox;
using Gateway.TestKit;

namespace Gateway.Bridge.Tests.Interop;

/// <summary>
/// The gateway as a ThingsBoard gateway device (issue 23), against a real mosquitto that mosquitto_sub and
/// mosquitto_pub turn into the server: service RPCs on <c>v1/devices/me/rpc/request/{id}</c>, the rename
/// and delete notices, one connect per device and session, and the gateway's own telemetry. Waits ≤ 15 s.
/// </summary>
public sealed class GatewayDeviceTests
{
    private static MqttClientOptions Options(int port, string clientId, string version = "5") => new()
    {
        Host = "127.0.0.1", Port = port, ClientId = clientId, KeepAliveSeconds = 30, ReconnectMinSeconds = 0.1, ReconnectMaxSeconds = 0.5,
        ProtocolVersion = version,
    };

    /// <summary>mosquitto_sub on everything the gateway publishes (gateway API and its own device API), once it is subscribed.</summary>
    private static async Task<Process> StartCloudAsync(MosquittoBroker broker, ConcurrentQueue<string> lines)
    {
        var port = broker.Port.ToString(CultureInfo.InvariantCulture);
        var cloud = MosquittoBroker.StartTool("mosquitto_sub", "-h", "127.0.0.1", "-p", port, "-t", "v1/gateway/#", "-t", "v1/devices/me/#", "-q", "1", "-v");
        cloud.OutputDataReceived += (_, e) => { if (e.Data is not null) lines.Enqueue(e.Data); };
        cloud.BeginOutputReadLine();
        var deadline = DateTime.UtcNow + BridgeHarness.Timeout;
        while (!lines.Any(l => l.StartsWith("v1/gateway/probe ", StringComparison.Ordinal)))
        {
            Assert.True(DateTime.UtcNow < deadline, "mosquitto_sub never subscribed");
            await MosquittoBroker.RunToolAsync("mosquitto_pub", "-h", "127.0.0.1", "-p", port, "-t", "v1/gateway/probe", "-q", "1", "-m", "x");
            await Task.Delay(100);
        }
        return cloud;
    }

    private static Task PublishAsync(MosquittoBroker broker, string topic, string payload) =>
        MosquittoBroker.RunToolAsync("mosquitto_pub", "-h", "127.0.0.1", "-p", broker.Port.ToString(CultureInfo.InvariantCulture), "-t", topic, "-q", "1", "-m", payload);

    /// <summary>The payload of the first line on <paramref name="topic"/>, waited for.</summary>
    private static async Task<string> AwaitLineAsync(ConcurrentQueue<string> lines, string topic)
    {
        string? line = null;
        await BridgeHarness.WaitForAsync(() => (line = lines.FirstOrDefault(l => l.StartsWith(topic + " ", StringComparison.Ordinal))) is not null, topic);
        return line![(topic.Length + 1)..];
    }

    private static List<(string Device, int Value)> Telemetry(IEnumerable<string> lines)
    {
        var result = new List<(string, int)>();
        foreach (var line in lines.Where(l => l.StartsWith(GatewayTopics.Telemetry + " ", StringComparison.Ordinal)))
        {
            using var doc = JsonDocument.Parse(line[(GatewayTopics.Telemetry.Length + 1)..]);
            foreach (var device in doc.RootElement.EnumerateObject())
                foreach (var item in device.Value.EnumerateArray())
                    result.Add((device.Name, item.GetProperty("values").GetProperty("v").GetInt32()));
        }
        return result;
    }

    private static int Connects(IEnumerable<string> lines, string device) =>
        lines.Count(l => l.StartsWith(GatewayTopics.Connect + " ", StringComparison.Ordinal)
                         && JsonDocument.Parse(l[(GatewayTopics.Connect.Length + 1)..]).RootElement.GetProperty("device").GetString() == device);

    [Theory]
    [InlineData("5")]
    [InlineData("3.1.1")]
    public async Task Service_rpcs_on_the_gateway_device_are_answered_on_its_response_topic(string version)
    {
        using var broker = new MosquittoBroker();
        var lines = new ConcurrentQueue<string>();
        using var cloud = await StartCloudAsync(broker, lines);
        try
        {
            await using var h = new BridgeHarness(Options(broker.Port, "gw-service-" + version, version));
            await h.AddDeviceAsync("Dev A", "thermostat");
            await h.AddDeviceAsync("Dev B");
            await h.StartAsync();
            await BridgeHarness.WaitForAsync(() => Connects(lines, "Dev B") == 1, "the announcement");

            await PublishAsync(broker, "v1/devices/me/rpc/request/7", """{"method":"gateway_ping","params":{}}""");
            Assert.Equal("""{"code":200,"resp":"pong"}""", await AwaitLineAsync(lines, "v1/devices/me/rpc/response/7"));

            await PublishAsync(broker, "v1/devices/me/rpc/request/8", """{"method":"gateway_devices","params":{}}""");
            Assert.Equal("""{"code":200,"resp":{"Dev A":"thingsboard","Dev B":"thingsboard"}}""", await AwaitLineAsync(lines, "v1/devices/me/rpc/response/8"));

            await PublishAsync(broker, "v1/devices/me/rpc/request/9", """{"method":"gateway_stats","params":{}}""");
            Assert.Equal("""{"code":200,"resp":{"queue_depth":42,"link":"up"}}""", await AwaitLineAsync(lines, "v1/devices/me/rpc/response/9"));

            await PublishAsync(broker, "v1/devices/me/rpc/request/10", """{"method":"gateway_version","params":{}}""");
            Assert.Equal("""{"code":200,"resp":"9.8.7"}""", await AwaitLineAsync(lines, "v1/devices/me/rpc/response/10"));

            // Never silence: an unknown method is an error reply, not a timeout at the server.
            await PublishAsync(broker, "v1/devices/me/rpc/request/11", """{"method":"gateway_frobnicate","params":{}}""");
            Assert.Equal("""{"code":404,"error":"method 'gateway_frobnicate' not found"}""", await AwaitLineAsync(lines, "v1/devices/me/rpc/response/11"));

            // Restart: answered first, then handed to the host with the delay.
            await PublishAsync(broker, "v1/devices/me/rpc/request/12", """{"method":"gateway_restart","params":5}""");
            Assert.Equal("""{"code":200,"resp":"restarting in 5 s"}""", await AwaitLineAsync(lines, "v1/devices/me/rpc/response/12"));
            await BridgeHarness.WaitForAsync(() => { lock (h.Control.Restarts) return h.Control.Restarts.Count == 1; }, "the restart");
            Assert.Equal(TimeSpan.FromSeconds(5), h.Control.Restarts[0]);

            // The gateway's own client-side RPC goes out on the same filter: on 3.1.1 mosquitto sends it back
            // (no No Local), and it must not be taken for a service RPC (no "method not found" reply).
            var call = h.CloudLink.CallRpcAsync("Dev A", "getWeather", null, new CancellationTokenSource(BridgeHarness.Timeout).Token);
            await AwaitLineAsync(lines, "v1/devices/me/rpc/request/1");
            await PublishAsync(broker, "v1/devices/me/rpc/response/1", """{"temp":3}""");
            Assert.Equal("""{"temp":3}""", (await call.WaitAsync(BridgeHarness.Timeout))!.ToJsonString());
            Assert.Equal(6, h.Status.Snapshot().ServiceRpcs);
            Assert.DoesNotContain(lines, l => l.StartsWith("v1/devices/me/rpc/response/1 {\"code\"", StringComparison.Ordinal));
        }
        finally
        {
            cloud.Kill();
        }
    }

    [Fact]
    public async Task Renamed_device_sends_its_queued_and_later_rows_under_the_new_name_also_after_a_restart()
    {
        using var broker = new MosquittoBroker();
        var lines = new ConcurrentQueue<string>();
        using var cloud = await StartCloudAsync(broker, lines);
        try
        {
            string directory;
            // First run: rows queued for Dev A, downlinks only (nothing forwarded), and the server's rename notice.
            await using (var h = new BridgeHarness(Options(broker.Port, "gw-rename-1")))
            {
                directory = h.KeepDirectory();
                await h.AddDeviceAsync("Dev A");
                await h.AddDeviceAsync("Dev C");
                for (int i = 0; i < 50; i++) await h.TelemetryAsync(i % 2 == 0 ? "Dev A" : "Dev C", 1_700_000_000_000 + i, i);
                await h.StartAsync(forward: false);
                await BridgeHarness.WaitForAsync(() => h.CloudLink.IsConnected, "the link");
                await PublishAsync(broker, "v1/devices/me/rpc/request/3", """{"method":"gateway_device_renamed","params":{"Dev A":"Boiler room"}}""");
                Assert.Equal("""{"code":200,"resp":{"Dev A":"Boiler room"}}""", await AwaitLineAsync(lines, "v1/devices/me/rpc/response/3"));
                Assert.Equal(50, await h.DepthAsync());
            }
            try
            {
                // Second run on the same database: the queued rows and new ones go up under the new name.
                await using var h2 = new BridgeHarness(Options(broker.Port, "gw-rename-2"), directory: directory);
                for (int i = 50; i < 60; i++) await h2.TelemetryAsync("Dev A", 1_700_000_000_000 + i, i);
                await h2.StartAsync();
                await BridgeHarness.WaitForAsync(async () => await h2.DepthAsync() == 0, "the rows to drain");
                try { await BridgeHarness.WaitForAsync(() => Telemetry(lines).Select(t => t.Value).Distinct().Count() == 60, "all 60 rows at the cloud"); }
                catch (TimeoutException) { Assert.Fail(string.Join("\n", lines)); }

                var received = Telemetry(lines);
                Assert.All(received.Where(r => r.Value % 2 == 0 || r.Value >= 50), r => Assert.Equal("Boiler room", r.Device));
                Assert.All(received.Where(r => r.Value % 2 == 1 && r.Value < 50), r => Assert.Equal("Dev C", r.Device));
                Assert.Equal(1, Connects(lines, "Boiler room"));
                Assert.Equal(0, Connects(lines, "Dev A"));

                // Downlinks addressed to the new name reach the local device.
                await PublishAsync(broker, GatewayTopics.Rpc, """{"device":"Boiler room","data":{"id":4,"method":"setValve","params":1}}""");
                await BridgeHarness.WaitForAsync(async () => (await h2.Downlinks.PendingAsync("Dev A")).Count == 1, "the RPC in Dev A's queue");
            }
            finally
            {
                try { Directory.Delete(directory, recursive: true); } catch (IOException) { }
            }
        }
        finally
        {
            cloud.Kill();
        }
    }

    [Fact]
    public async Task Deleted_device_is_announced_again_its_downlinks_resume_and_no_row_is_lost()
    {
        using var broker = new MosquittoBroker();
        var lines = new ConcurrentQueue<string>();
        using var cloud = await StartCloudAsync(broker, lines);
        try
        {
            await using var h = new BridgeHarness(Options(broker.Port, "gw-delete"));
            await h.AddDeviceAsync("Dev A", "thermostat");
            await h.StartAsync();
            await BridgeHarness.WaitForAsync(() => Connects(lines, "Dev A") == 1, "the first announcement");
            for (int i = 0; i < 20; i++) await h.TelemetryAsync("Dev A", 1_700_000_000_000 + i, i);

            await PublishAsync(broker, "v1/devices/me/rpc/request/5", """{"method":"gateway_device_deleted","params":"Dev A"}""");
            Assert.StartsWith("""{"code":200""", await AwaitLineAsync(lines, "v1/devices/me/rpc/response/5"));
            await BridgeHarness.WaitForAsync(() => Connects(lines, "Dev A") == 2, "the device announced again");
            Assert.Contains("""v1/gateway/connect {"device":"Dev A","type":"thermostat"}""", lines);

            for (int i = 20; i < 40; i++) await h.TelemetryAsync("Dev A", 1_700_000_000_000 + i, i);
            await BridgeHarness.WaitForAsync(() => Telemetry(lines).Select(t => t.Value).Distinct().Count() == 40, "all 40 rows at the cloud");
            // The subscriber may see the last rows before the forwarder has their PUBACK and deletes them.
            await BridgeHarness.WaitForAsync(async () => await h.DepthAsync() == 0, "the outbox empty");

            await PublishAsync(broker, GatewayTopics.Rpc, """{"device":"Dev A","data":{"id":6,"method":"reboot","params":{}}}""");
            await BridgeHarness.WaitForAsync(async () => (await h.Downlinks.PendingAsync("Dev A")).Count == 1, "the RPC in Dev A's queue");

            // An unknown name is answered, not ignored.
            await PublishAsync(broker, "v1/devices/me/rpc/request/6", """{"method":"gateway_device_deleted","params":"Nobody"}""");
            Assert.StartsWith("""{"code":404""", await AwaitLineAsync(lines, "v1/devices/me/rpc/response/6"));
        }
        finally
        {
            cloud.Kill();
        }
    }

    [Fact]
    public async Task A_device_is_announced_once_per_session_however_many_connect_rows_it_queued()
    {
        using var broker = new MosquittoBroker();
        var lines = new ConcurrentQueue<string>();
        using var cloud = await StartCloudAsync(broker, lines);
        try
        {
            await using var h = new BridgeHarness(Options(broker.Port, "gw-connect-once"));
            // Eight concurrent first requests of a device not yet active each queued a connect row.
            for (int i = 0; i < 8; i++) await h.EnqueueAsync("Dev N", OutboxMessageKind.DeviceConnect, """{"type":"meter"}""");
            await h.TelemetryAsync("Dev N", 1_700_000_000_000, 1);
            await h.StartAsync();
            await BridgeHarness.WaitForAsync(async () => await h.DepthAsync() == 0, "the rows to drain");
            await BridgeHarness.WaitForAsync(() => Telemetry(lines).Count == 1, "the telemetry");
            await h.EnqueueAsync("Dev N", OutboxMessageKind.DeviceConnect, """{"type":"meter"}""");
            await BridgeHarness.WaitForAsync(async () => await h.DepthAsync() == 0, "the late connect row");
            await Task.Delay(300);
            Assert.Equal(1, Connects(lines, "Dev N"));
            Assert.Equal(8, h.Status.Snapshot().RedundantConnects);
        }
        finally
        {
            cloud.Kill();
        }
    }

    [Fact]
    public async Task Gateway_telemetry_and_attributes_go_to_its_own_device_topics_and_it_is_never_a_sub_device()
    {
        using var broker = new MosquittoBroker();
        var lines = new ConcurrentQueue<string>();
        using var cloud = await StartCloudAsync(broker, lines);
        try
        {
            await using var h = new BridgeHarness(Options(broker.Port, "gw-own"));
            await h.EnqueueAsync("edge-1", OutboxMessageKind.GatewayAttributes, """{"version":"1.0.0","architecture":"arm64"}""");
            await h.EnqueueAsync("edge-1", OutboxMessageKind.GatewayTelemetry, """[{"ts":1700000000000,"values":{"uptime_s":5,"queue_depth":0}}]""");
            await h.TelemetryAsync("Dev A", 1_700_000_000_001, 1);
            await h.StartAsync();
            Assert.Equal("""[{"ts":1700000000000,"values":{"uptime_s":5,"queue_depth":0}}]""", await AwaitLineAsync(lines, GatewayTopics.OwnTelemetry));
            Assert.Equal("""{"version":"1.0.0","architecture":"arm64"}""", await AwaitLineAsync(lines, GatewayTopics.OwnAttributes));
            await BridgeHarness.WaitForAsync(async () => await h.DepthAsync() == 0, "the rows to drain");
            Assert.DoesNotContain(lines, l => l.Contains("edge-1", StringComparison.Ordinal));
            Assert.DoesNotContain("edge-1", h.Tracker.ActiveDevices());
        }
        finally
        {
            cloud.Kill();
        }
    }
}
