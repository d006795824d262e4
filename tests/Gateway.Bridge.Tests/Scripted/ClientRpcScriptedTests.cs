using System.Text;
using System.Text.Json.Nodes;
using Gateway.Mqtt.Protocol;
using Gateway.TestKit;

namespace Gateway.Bridge.Tests.Scripted;

/// <summary>
/// Device client-side RPC forwarded as the gateway's own (thingsboard.md §4.1, none for sub-devices in §4.2):
/// <c>v1/devices/me/rpc/request/{n}</c> out, <c>v1/devices/me/rpc/response/{n}</c> back, over a scripted broker.
/// </summary>
public sealed class ClientRpcScriptedTests
{
    private static string Text(ReadOnlyMemory<byte> payload) => Encoding.UTF8.GetString(payload.Span);

    private static CancellationToken Bounded() => new CancellationTokenSource(BridgeHarness.Timeout).Token;

    [Theory]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public void The_reply_topic_of_the_gateways_own_rpc_is_subscribed(MqttProtocolVersion version) =>
        Assert.Contains(ThingsBoardBridge.Subscriptions(version), s => s.TopicFilter == "v1/devices/me/rpc/response/+");

    [Fact]
    public async Task Request_carries_the_device_in_params_and_the_matching_reply_completes_it()
    {
        await using var broker = await MqttTestBroker.StartAsync();
        await using var h = new BridgeHarness(BridgeHarness.ScriptedOptions(broker.Port));
        await h.StartAsync();
        await BridgeHarness.WaitForAsync(() => h.CloudLink.IsConnected, "the link");

        var call = h.CloudLink.CallRpcAsync("Dev A", "getWeather", JsonNode.Parse("""{"city":"Oslo"}"""), Bounded());
        await BridgeHarness.WaitForAsync(() => broker.Published.Any(p => p.Topic.StartsWith("v1/devices/me/rpc/request/", StringComparison.Ordinal)), "the request");
        var request = broker.Published.Single(p => p.Topic.StartsWith("v1/devices/me/rpc/request/", StringComparison.Ordinal));
        Assert.Equal("v1/devices/me/rpc/request/1", request.Topic);
        Assert.Equal((int)MqttQualityOfService.AtLeastOnce, request.QoS);
        Assert.Equal("""{"method":"getWeather","params":{"device":"Dev A","params":{"city":"Oslo"}}}""", Text(request.Payload));

        // A reply to another id is not this call's answer (and is not "malformed" either).
        await broker.SendAsync("v1/devices/me/rpc/response/99", """{"temp":-40}""");
        await broker.SendAsync("v1/devices/me/rpc/response/1", """{"temp":21.5}""");

        var reply = await call.WaitAsync(BridgeHarness.Timeout);
        Assert.Equal("""{"temp":21.5}""", reply!.ToJsonString());
        var stats = h.Status.Snapshot();
        Assert.Equal((1L, 0L, 0L), (stats.ClientRpcs, stats.ClientRpcsUnanswered, stats.DownlinkMalformed));

        // Ids advance; params absent is sent as null, so the rule chain always finds msg.params.params.
        var second = h.CloudLink.CallRpcAsync("Dev B", "ping", null, Bounded());
        await BridgeHarness.WaitForAsync(() => broker.Published.Any(p => p.Topic == "v1/devices/me/rpc/request/2"), "the second request");
        Assert.Equal("""{"method":"ping","params":{"device":"Dev B","params":null}}""",
            Text(broker.Published.Single(p => p.Topic == "v1/devices/me/rpc/request/2").Payload));
        await broker.SendAsync("v1/devices/me/rpc/response/2", "\"pong\"");
        Assert.Equal("\"pong\"", (await second.WaitAsync(BridgeHarness.Timeout))!.ToJsonString());
    }

    [Fact]
    public async Task No_reply_before_the_callers_token_gives_null_and_the_late_reply_is_dropped()
    {
        await using var broker = await MqttTestBroker.StartAsync();
        await using var h = new BridgeHarness(BridgeHarness.ScriptedOptions(broker.Port));
        await h.StartAsync();
        await BridgeHarness.WaitForAsync(() => h.CloudLink.IsConnected, "the link");

        using var caller = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        Assert.Null(await h.CloudLink.CallRpcAsync("Dev A", "slow", null, caller.Token).WaitAsync(BridgeHarness.Timeout));
        Assert.Equal(1, h.Status.Snapshot().ClientRpcsUnanswered);

        await broker.SendAsync("v1/devices/me/rpc/response/1", """{"late":true}""");
        // The late reply matches nothing any more: it does not break the router, which still handles the next call.
        var next = h.CloudLink.CallRpcAsync("Dev A", "fast", null, Bounded());
        await BridgeHarness.WaitForAsync(() => broker.Published.Any(p => p.Topic == "v1/devices/me/rpc/request/2"), "the next request");
        await broker.SendAsync("v1/devices/me/rpc/response/2", "{}");
        Assert.Equal("{}", (await next.WaitAsync(BridgeHarness.Timeout))!.ToJsonString());
    }

    [Fact]
    public async Task Link_down_and_a_full_pending_table_answer_null_at_once()
    {
        await using var broker = await MqttTestBroker.StartAsync();
        await using var h = new BridgeHarness(BridgeHarness.ScriptedOptions(broker.Port), o => o.MaxPendingClientRpcs = 1);

        // Not started: the link is down, nothing is published, nothing waits.
        Assert.Null(await h.CloudLink.CallRpcAsync("Dev A", "m", null, Bounded()).WaitAsync(TimeSpan.FromSeconds(1)));
        Assert.Empty(broker.Published);

        await h.StartAsync();
        await BridgeHarness.WaitForAsync(() => h.CloudLink.IsConnected, "the link");
        var first = h.CloudLink.CallRpcAsync("Dev A", "m", null, Bounded());
        await BridgeHarness.WaitForAsync(() => broker.Published.Any(p => p.Topic == "v1/devices/me/rpc/request/1"), "the first request");
        Assert.Null(await h.CloudLink.CallRpcAsync("Dev A", "m2", null, Bounded()).WaitAsync(TimeSpan.FromSeconds(1)));
        Assert.DoesNotContain(broker.Published, p => p.Topic == "v1/devices/me/rpc/request/2");

        await broker.SendAsync("v1/devices/me/rpc/response/1", """{"ok":1}""");
        Assert.NotNull(await first.WaitAsync(BridgeHarness.Timeout));
    }

    [Fact]
    public void Options_reject_a_zero_timeout_and_pending_bound()
    {
        var errors = new BridgeOptions { ClientRpcTimeoutSeconds = 0, MaxPendingClientRpcs = 0 }.Validate();
        Assert.Contains("Bridge:ClientRpcTimeoutSeconds: 0 is below 1", errors);
        Assert.Contains("Bridge:MaxPendingClientRpcs: 0 is below 1", errors);
    }
}
