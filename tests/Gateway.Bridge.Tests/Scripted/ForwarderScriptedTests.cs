using System.Text;
using System.Text.Json;
using Gateway.Mqtt.Client;
using Gateway.Mqtt.Protocol;
using Gateway.TestKit;
using Gateway.Storage.Outbox;

namespace Gateway.Bridge.Tests.Scripted;

/// <summary>The forwarder against a scripted broker (MQTTnet's server in-process, <see cref="MqttTestBroker"/>), on real SQLite storage.</summary>
public sealed class ForwarderScriptedTests
{
    private static string Text(ReadOnlyMemory<byte> payload) => Encoding.UTF8.GetString(payload.Span);

    /// <summary>(device, ts) pairs of a v1/gateway/telemetry payload, in payload order.</summary>
    private static IEnumerable<(string Device, long Ts)> TelemetryOf(ReadOnlyMemory<byte> payload)
    {
        using var doc = JsonDocument.Parse(payload);
        foreach (var device in doc.RootElement.EnumerateObject())
            foreach (var item in device.Value.EnumerateArray())
                yield return (device.Name, item.GetProperty("ts").GetInt64());
    }

    [Fact]
    public async Task Packs_several_devices_per_publish_within_the_maximum_packet_size_in_order()
    {
        await using var broker = await MqttTestBroker.StartAsync();
        // The packet limit is min(Bridge:MaxPacketBytes, the broker's Maximum Packet Size); MQTTnet's server announces
        // none, so the limit comes from the option here (mosquitto's announced limit: Gateway.Mqtt.Tests interop).
        await using var h = new BridgeHarness(BridgeHarness.ScriptedOptions(broker.Port), o => { o.BatchSize = 500; o.MaxPacketBytes = 2048; });
        // 40 small devices (8 rows each, several fit one packet) and one big one (80 rows, more than a packet).
        var devices = Enumerable.Range(0, 40).Select(i => $"dev-{i}").Append("big").ToArray();
        for (int i = 0; i < 400; i++) await h.TelemetryAsync(i % 5 == 0 ? "big" : devices[i % 40], 1_000 + i, i);
        await h.StartAsync();

        await BridgeHarness.WaitForAsync(async () => await h.DepthAsync() == 0, "the outbox to drain");
        var telemetry = broker.Published.Where(p => p.Topic == GatewayTopics.Telemetry).ToList();
        Assert.All(telemetry, p => Assert.True(MqttPublishSize.Of(new MqttMessage { Topic = p.Topic, Payload = p.Payload }, MqttProtocolVersion.V500) <= 2048, $"packet of {p.Payload.Length} B"));
        Assert.True(telemetry.Count < 40, $"{telemetry.Count} PUBLISHes for 400 rows: not packed");
        Assert.Contains(telemetry, p => TelemetryOf(p.Payload).Select(x => x.Device).Distinct().Count() > 1);
        var received = telemetry.SelectMany(p => TelemetryOf(p.Payload)).ToList();
        Assert.Equal(400, received.Count);
        foreach (var device in devices)
        {
            var ts = received.Where(r => r.Device == device).Select(r => r.Ts).ToList();
            Assert.Equal(ts.Order().ToList(), ts);
            Assert.Equal(device == "big" ? 80 : ts.Count, ts.Count);
        }
        Assert.Equal(400, h.Status.Snapshot().RowsForwarded);
    }

    [Fact]
    public async Task A_payload_format_invalid_puback_dead_letters_exactly_the_bad_rows()
    {
        await using var broker = await MqttTestBroker.StartAsync();
        // ThingsBoard answers 0x99 when any device entry of the message fails conversion (§4.4).
        broker.Verdict = p => p.Topic == GatewayTopics.Telemetry && Encoding.UTF8.GetString(p.Payload.Span).Contains("\"poison\"")
            ? (byte)MqttReasonCode.PayloadFormatInvalid
            : (byte)MqttReasonCode.Success;
        await using var h = new BridgeHarness(BridgeHarness.ScriptedOptions(broker.Port));
        var bad = new List<long>();
        for (int i = 0; i < 60; i++)
        {
            var device = $"dev-{i % 5}";
            if (i is 7 or 31 or 32)
                bad.Add(await h.EnqueueAsync(device, OutboxMessageKind.Telemetry, $"[{{\"ts\":{1000 + i},\"values\":{{\"poison\":true}}}}]"));
            else
                await h.TelemetryAsync(device, 1000 + i, i);
        }
        await h.StartAsync();

        await BridgeHarness.WaitForAsync(async () => await h.DepthAsync() == 0, "the outbox to drain");
        var stats = await h.Outbox.GetStatsAsync();
        Assert.Equal(3, stats.DeadLetters);
        Assert.Equal(3, h.Status.Snapshot().DeadLetters);
        Assert.Equal(57, h.Status.Snapshot().RowsForwarded);
        // Every good row was delivered (in an acknowledged PUBLISH); no bad row was ever acknowledged.
        var acked = broker.Published.Where(p => p.Reason == (byte)MqttReasonCode.Success && p.Topic == GatewayTopics.Telemetry)
            .SelectMany(p => TelemetryOf(p.Payload)).Select(x => x.Ts).ToHashSet();
        Assert.Equal(57, acked.Count);
        Assert.DoesNotContain(1007L, acked);
        Assert.True(h.Status.Snapshot().PubAckFailures[MqttReasonCode.PayloadFormatInvalid] >= 3);
    }

    [Fact]
    public async Task Nothing_is_acknowledged_without_a_puback_and_it_is_delivered_after_a_reconnect()
    {
        await using var broker = await MqttTestBroker.StartAsync();
        broker.Verdict = _ => null;  // the broker swallows every PUBLISH
        await using var h = new BridgeHarness(BridgeHarness.ScriptedOptions(broker.Port));
        for (int i = 0; i < 20; i++) await h.TelemetryAsync($"dev-{i % 2}", 1000 + i, i);
        await h.StartAsync();

        await BridgeHarness.WaitForAsync(() => broker.Published.Any(p => p.Topic == GatewayTopics.Telemetry), "a telemetry PUBLISH");
        await Task.Delay(300);
        Assert.Equal(20, await h.DepthAsync());
        Assert.Equal(0, h.Status.Snapshot().RowsForwarded);

        broker.Verdict = _ => (byte)MqttReasonCode.Success;
        await broker.DropAsync();  // the client sends the unacknowledged publishes again, with DUP, on the next connection
        await BridgeHarness.WaitForAsync(async () => await h.DepthAsync() == 0, "the outbox to drain after the reconnect");
        Assert.Equal(20, h.Status.Snapshot().RowsForwarded);
        Assert.Contains(broker.Published, p => p.Connection == 2 && p.Dup && p.Topic == GatewayTopics.Telemetry);
    }

    [Fact]
    public async Task After_a_reconnect_every_active_device_is_connected_again_before_new_data()
    {
        await using var broker = await MqttTestBroker.StartAsync();
        await using var h = new BridgeHarness(BridgeHarness.ScriptedOptions(broker.Port));
        await h.AddDeviceAsync("registered-1", "thermo");
        await h.AddDeviceAsync("registered-2");
        await h.EnqueueAsync("fresh", OutboxMessageKind.DeviceConnect, "{\"type\":\"meter\"}");
        await h.TelemetryAsync("fresh", 1000, 1);
        await h.StartAsync();
        await BridgeHarness.WaitForAsync(async () => await h.DepthAsync() == 0, "the first drain");

        // The gateway's own level request (RemoteLoggingLevel) is not data; it may go before the announcement.
        var first = broker.Published.Where(p => p.Connection == 1 && !p.Topic.StartsWith(GatewayTopics.OwnAttributeRequestPrefix, StringComparison.Ordinal)).ToList();
        Assert.Equal(GatewayTopics.Connect, first[0].Topic);
        Assert.Contains(first, p => p.Topic == GatewayTopics.Connect && Text(p.Payload) == "{\"device\":\"fresh\",\"type\":\"meter\"}");

        await broker.DropAsync();
        await BridgeHarness.WaitForAsync(() => broker.Connections == 2, "the reconnect");
        for (int i = 0; i < 10; i++) await h.TelemetryAsync(i % 2 == 0 ? "fresh" : "registered-1", 2000 + i, i);
        await BridgeHarness.WaitForAsync(async () => await h.DepthAsync() == 0, "the second drain");

        var second = broker.Published.Where(p => p.Connection == 2 && !p.Topic.StartsWith(GatewayTopics.OwnAttributeRequestPrefix, StringComparison.Ordinal)).ToList();
        int firstData = second.FindIndex(p => p.Topic != GatewayTopics.Connect);
        Assert.True(firstData >= 3, string.Join(" | ", second.Select(p => p.Topic + " " + Text(p.Payload))));
        var announced = second.Take(firstData).Select(p => Text(p.Payload)).ToHashSet();
        Assert.Equal(new HashSet<string>
        {
            "{\"device\":\"registered-1\",\"type\":\"thermo\"}",
            "{\"device\":\"registered-2\",\"type\":\"default\"}",
            "{\"device\":\"fresh\",\"type\":\"meter\"}",
        }, announced);
        Assert.Equal(2, h.Status.Snapshot().Reconnects + 1);
    }

    [Fact]
    public async Task Per_device_order_holds_across_batches_and_retryable_refusals()
    {
        var random = new Random(42);
        await using var broker = await MqttTestBroker.StartAsync();
        // A quarter of the telemetry PUBLISHes is refused as over quota (0x97): released and retried later.
        broker.Verdict = p => p.Topic == GatewayTopics.Telemetry && random.Next(4) == 0 ? (byte)MqttReasonCode.QuotaExceeded : (byte)MqttReasonCode.Success;
        await using var h = new BridgeHarness(BridgeHarness.ScriptedOptions(broker.Port), o => { o.BatchSize = 37; o.MaxInFlight = 8; o.MaxPacketBytes = 1024; });
        var devices = Enumerable.Range(0, 6).Select(i => $"dev-{i}").ToArray();
        for (int i = 0; i < 300; i++) await h.TelemetryAsync(devices[(i * 7) % 6], 10_000 + i, i);
        await h.StartAsync();

        await BridgeHarness.WaitForAsync(async () => await h.DepthAsync() == 0, "the outbox to drain");
        Assert.True(h.Status.Snapshot().RetryableFailures > 0);
        // In the order the broker accepted them, every device's timestamps only grow, and none is missing or doubled.
        var accepted = broker.Published.Where(p => p.Reason == (byte)MqttReasonCode.Success && p.Topic == GatewayTopics.Telemetry)
            .SelectMany(p => TelemetryOf(p.Payload)).ToList();
        Assert.Equal(300, accepted.Count);
        foreach (var device in devices)
        {
            var ts = accepted.Where(a => a.Device == device).Select(a => a.Ts).ToList();
            Assert.Equal(ts.Order().ToList(), ts);
        }
    }

    [Fact]
    public async Task Rows_of_the_wrong_shape_are_dead_lettered_without_reaching_the_wire()
    {
        await using var broker = await MqttTestBroker.StartAsync();
        await using var h = new BridgeHarness(BridgeHarness.ScriptedOptions(broker.Port, "3.1.1"));
        await h.EnqueueAsync("dev", OutboxMessageKind.Telemetry, "[{\"ts\":1,\"values\":{\"a\":1}}");   // truncated
        await h.EnqueueAsync("dev", OutboxMessageKind.Telemetry, "{\"a\":1}");                          // not an array
        await h.EnqueueAsync("dev", OutboxMessageKind.ClientAttributes, "[1,2]");                      // not an object
        await h.EnqueueAsync("dev", OutboxMessageKind.RpcReply, "{\"data\":{}}");                      // no id
        await h.TelemetryAsync("dev", 5, 5);
        await h.EnqueueAsync("dev", OutboxMessageKind.ClientAttributes, "{\"fw\":\"1.0\"}");
        await h.EnqueueAsync("dev", OutboxMessageKind.RpcReply, "{\"id\":7,\"data\":{\"ok\":true}}");
        await h.StartAsync();

        await BridgeHarness.WaitForAsync(async () => await h.DepthAsync() == 0, "the outbox to drain");
        Assert.Equal(4, (await h.Outbox.GetStatsAsync()).DeadLetters);
        Assert.Equal(4, h.Status.Snapshot().InvalidRows);
        var payloads = broker.Published.Select(p => p.Topic + " " + Text(p.Payload)).ToList();
        Assert.Contains("v1/gateway/telemetry {\"dev\":[{\"ts\":5,\"values\":{\"v\":5}}]}", payloads);
        Assert.Contains("v1/gateway/attributes {\"dev\":{\"fw\":\"1.0\"}}", payloads);
        Assert.Contains("v1/gateway/rpc {\"device\":\"dev\",\"id\":7,\"data\":{\"ok\":true}}", payloads);
        Assert.Equal(1, broker.Connections);  // nothing bad was sent, so nothing closed the connection
    }
}
