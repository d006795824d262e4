using System.Text;
using Gateway.Mqtt.Client;
using Gateway.Mqtt.Connection;
using Gateway.Mqtt.Packets;
using Gateway.Mqtt.Protocol;

namespace Gateway.Mqtt.Tests.Client;

/// <summary><see cref="MqttClient"/> (the supervisor) against a scripted broker on the in-memory transport.</summary>
public sealed class ClientScriptedTests
{
    private static MqttMessage Message(string text, MqttQualityOfService qos = MqttQualityOfService.AtLeastOnce) =>
        new() { Topic = "v1/gateway/telemetry", Payload = Encoding.UTF8.GetBytes(text), QoS = qos };

    private static string Text(PublishPacket p) => Encoding.UTF8.GetString(p.Payload.Span);

    [Fact]
    public async Task Puback_with_an_error_reason_is_a_result_not_an_exception()
    {
        await using var h = new ClientHarness();
        var broker = await h.StartAndConnectAsync();
        var publish = h.Client.PublishAsync(Message("bad")).AsTask();
        var packet = await broker.ExpectAsync<PublishPacket>();
        Assert.Equal(MqttQualityOfService.AtLeastOnce, packet.QoS);
        await broker.SendAsync(new PubAckPacket { PacketId = packet.PacketId, ReasonCode = MqttReasonCode.PayloadFormatInvalid, Properties = new MqttProperties { ReasonString = "not an array" } });
        var result = await publish.WaitAsync(BrokerSession.Timeout);
        Assert.False(result.IsSuccess);
        Assert.True(result.FromBroker);
        Assert.Equal(MqttReasonCode.PayloadFormatInvalid, result.ReasonCode);
        Assert.Equal("not an array", result.ReasonString);
        Assert.Equal(1, h.Client.GetCounters().PubAckFailures);

        // The connection is unaffected: the next publish succeeds.
        var next = h.Client.PublishAsync(Message("good")).AsTask();
        var second = await broker.ExpectAsync<PublishPacket>();
        await broker.SendAsync(new PubAckPacket { PacketId = second.PacketId });
        Assert.True((await next.WaitAsync(BrokerSession.Timeout)).IsSuccess);
        Assert.Equal(1, h.Client.GetCounters().PublishesAcknowledged);
    }

    [Fact]
    public async Task V311_connect_publish_and_puback()
    {
        await using var h = new ClientHarness(o => o.ProtocolVersion = "3.1.1");
        h.Client.Start();
        var broker = await BrokerSession.AcceptAsync(h.Transport);
        var connect = await broker.AcceptConnectAsync();
        Assert.Equal(MqttProtocolVersion.V311, connect.ProtocolVersion);
        Assert.Same(MqttProperties.Empty, connect.Properties);
        Assert.Null(connect.Password);  // no password configured means no password flag (§3.1.2.9)
        await h.Client.WaitUntilConnectedAsync().WaitAsync(BrokerSession.Timeout);
        var publish = h.Client.PublishAsync(Message("v3")).AsTask();
        var p = await broker.ExpectAsync<PublishPacket>();
        await broker.SendAsync(new PubAckPacket { PacketId = p.PacketId });
        Assert.True((await publish.WaitAsync(BrokerSession.Timeout)).IsSuccess);
    }

    [Fact]
    public async Task Receive_maximum_bounds_the_publishes_in_flight()
    {
        await using var h = new ClientHarness();
        // MQTT 5.0 §3.2.2.3.3 / §4.9: with Receive Maximum 2 at most two QoS 1 PUBLISHes may be unacknowledged.
        var broker = await h.StartAndConnectAsync(new ConnAckPacket { Properties = new MqttProperties { ReceiveMaximum = 2 } });
        Assert.Equal(2, h.Client.InflightWindow);
        var publishes = Enumerable.Range(1, 5).Select(i => h.Client.PublishAsync(Message("m" + i)).AsTask()).ToList();
        // A QoS 0 marker bypasses the window; everything the broker sees before it was sent before it.
        var marker = h.Client.PublishAsync(Message("marker", MqttQualityOfService.AtMostOnce)).AsTask();
        var seen = new List<PublishPacket>();
        while (true)
        {
            var p = await broker.ExpectAsync<PublishPacket>();
            if (Text(p) == "marker") break;
            seen.Add(p);
        }
        Assert.True((await marker.WaitAsync(BrokerSession.Timeout)).IsSuccess);
        Assert.Equal(["m1", "m2"], seen.Select(Text));

        // Each PUBACK lets exactly one more through, in order.
        for (int next = 3; next <= 5; next++)
        {
            var oldest = seen[0];
            seen.RemoveAt(0);
            await broker.SendAsync(new PubAckPacket { PacketId = oldest.PacketId });
            var p = await broker.ExpectAsync<PublishPacket>();
            Assert.Equal("m" + next, Text(p));
            seen.Add(p);
        }
        foreach (var p in seen) await broker.SendAsync(new PubAckPacket { PacketId = p.PacketId });
        foreach (var t in publishes) Assert.True((await t.WaitAsync(BrokerSession.Timeout)).IsSuccess);
    }

    [Fact]
    public async Task Reconnect_resubscribes_and_resends_unacknowledged_publishes_in_order_with_dup()
    {
        await using var h = new ClientHarness();
        var deferred = await h.Client.SubscribeAsync([new MqttSubscription { TopicFilter = "v1/gateway/rpc" }, new MqttSubscription { TopicFilter = "v1/gateway/attributes" }]);
        Assert.True(deferred.Deferred);

        h.Client.Start();
        var broker1 = await BrokerSession.AcceptAsync(h.Transport);
        await broker1.AcceptConnectAsync();
        var sub1 = await broker1.ExpectAsync<SubscribePacket>();
        Assert.Equal(["v1/gateway/rpc", "v1/gateway/attributes"], sub1.Subscriptions.Select(s => s.TopicFilter));
        await broker1.SendAsync(new SubAckPacket { PacketId = sub1.PacketId, ReasonCodes = [MqttReasonCode.GrantedQoS1, MqttReasonCode.GrantedQoS1] });
        await h.Client.WaitUntilConnectedAsync().WaitAsync(BrokerSession.Timeout);

        var publishes = Enumerable.Range(1, 4).Select(i => h.Client.PublishAsync(Message("m" + i)).AsTask()).ToList();
        var first = new List<PublishPacket>();
        for (int i = 0; i < 4; i++) first.Add(await broker1.ExpectAsync<PublishPacket>());
        Assert.All(first, p => Assert.False(p.Dup));
        await broker1.SendAsync(new PubAckPacket { PacketId = first[1].PacketId });  // only m2 is acknowledged
        Assert.True((await publishes[1].WaitAsync(BrokerSession.Timeout)).IsSuccess);
        await broker1.DisposeAsync();                                                 // the broker goes away

        var broker2 = await h.AdvanceUntilReconnectAsync();
        await broker2.AcceptConnectAsync();
        var sub2 = await broker2.ExpectAsync<SubscribePacket>();                      // re-subscribe first
        Assert.Equal(sub1.Subscriptions.Select(s => s.TopicFilter), sub2.Subscriptions.Select(s => s.TopicFilter));
        await broker2.SendAsync(new SubAckPacket { PacketId = sub2.PacketId, ReasonCodes = [MqttReasonCode.GrantedQoS1, MqttReasonCode.GrantedQoS1] });
        var resent = new List<PublishPacket>();
        for (int i = 0; i < 3; i++) resent.Add(await broker2.ExpectAsync<PublishPacket>());
        // MQTT 5.0 §4.4: same packet identifiers, original order, DUP set (§3.3.1.1).
        Assert.Equal(["m1", "m3", "m4"], resent.Select(Text));
        Assert.Equal(new[] { first[0], first[2], first[3] }.Select(p => p.PacketId), resent.Select(p => p.PacketId));
        Assert.All(resent, p => Assert.True(p.Dup));
        foreach (var p in resent) await broker2.SendAsync(new PubAckPacket { PacketId = p.PacketId });
        foreach (var t in publishes) Assert.True((await t.WaitAsync(BrokerSession.Timeout)).IsSuccess);

        var counters = h.Client.GetCounters();
        Assert.Equal(2, counters.Connects);
        Assert.Equal(1, counters.Reconnects);
        Assert.Equal(3, counters.PublishesResent);
        await h.WaitForAsync(() => { lock (h.Events) return h.Events.Count(e => e.IsReconnect) == 1; }, "the reconnect event");
        lock (h.Events)
        {
            var lost = h.Events.First(e => e.State == MqttConnectionState.Disconnected && e.Error is not null);
            Assert.Equal(MqttDisconnectReason.ClosedByPeer, lost.Error!.Reason);
        }
    }

    [Fact]
    public async Task Publishes_made_while_disconnected_are_sent_after_connecting()
    {
        await using var h = new ClientHarness();
        var early = h.Client.PublishAsync(Message("early")).AsTask();
        var broker = await h.StartAndConnectAsync();
        var p = await broker.ExpectAsync<PublishPacket>();
        Assert.Equal("early", Text(p));
        Assert.False(p.Dup);  // never sent before, so not a duplicate
        await broker.SendAsync(new PubAckPacket { PacketId = p.PacketId });
        Assert.True((await early.WaitAsync(BrokerSession.Timeout)).IsSuccess);
    }

    [Fact]
    public async Task Refused_connect_is_reported_and_retried_with_backoff()
    {
        await using var h = new ClientHarness();
        h.Client.Start();
        var broker1 = await BrokerSession.AcceptAsync(h.Transport);
        await broker1.AcceptConnectAsync(new ConnAckPacket { ReasonCode = MqttReasonCode.NotAuthorized });
        var broker2 = await h.AdvanceUntilReconnectAsync();
        await broker2.AcceptConnectAsync();
        await h.Client.WaitUntilConnectedAsync().WaitAsync(BrokerSession.Timeout);
        lock (h.Events)
        {
            var refused = h.Events.First(e => e.Error?.Reason == MqttDisconnectReason.ConnectRefused);
            Assert.Equal(MqttReasonCode.NotAuthorized, refused.Error!.ReasonCode);
        }
        Assert.Equal(1, h.Client.GetCounters().ConnectFailures);
    }

    [Fact]
    public async Task Backoff_doubles_with_jitter_up_to_the_maximum()
    {
        await using var h = new ClientHarness(o => { o.ReconnectMinSeconds = 1; o.ReconnectMaxSeconds = 8; });
        h.Transport.RefuseConnections = true;
        h.Client.Start();
        var attempts = new List<DateTimeOffset>();
        var deadline = DateTime.UtcNow + BrokerSession.Timeout;
        int seen = 0;
        while (attempts.Count < 7)
        {
            Assert.True(DateTime.UtcNow < deadline, "the client stopped retrying");
            if (h.Transport.ConnectAttempts > seen) { seen = h.Transport.ConnectAttempts; attempts.Add(h.Time.GetUtcNow()); }
            else if (h.Time.ActiveTimers > 0) h.Time.Advance(TimeSpan.FromMilliseconds(50));
            else await Task.Delay(1);
        }
        var gaps = attempts.Zip(attempts.Skip(1), (a, b) => (b - a).TotalSeconds).ToList();
        double[] ceilings = [1, 2, 4, 8, 8, 8];  // min·2ⁿ capped at the maximum; jitter keeps each in [c/2, c]
        for (int i = 0; i < gaps.Count; i++)
            Assert.InRange(gaps[i], Math.Max(1, ceilings[i] / 2) - 0.001, ceilings[i] + 0.051);
    }

    [Fact]
    public async Task Inbound_qos1_is_delivered_then_acknowledged_and_qos0_too()
    {
        await using var h = new ClientHarness();
        var broker = await h.StartAndConnectAsync();
        await broker.SendAsync(new PublishPacket { Topic = "v1/gateway/rpc", Payload = "{\"id\":5}"u8.ToArray(), QoS = MqttQualityOfService.AtLeastOnce, PacketId = 77 });
        await broker.SendAsync(new PublishPacket { Topic = "v1/gateway/attributes", Payload = "{}"u8.ToArray() });
        var ack = await broker.ExpectAsync<PubAckPacket>();
        Assert.Equal((ushort)77, ack.PacketId);
        using var cts = new CancellationTokenSource(BrokerSession.Timeout);
        var m1 = await h.Client.Messages.ReadAsync(cts.Token);
        var m2 = await h.Client.Messages.ReadAsync(cts.Token);
        Assert.Equal("v1/gateway/rpc", m1.Topic);
        Assert.Equal("{\"id\":5}", Encoding.UTF8.GetString(m1.Payload.Span));
        Assert.Equal(MqttQualityOfService.AtMostOnce, m2.QoS);
        Assert.Equal(2, h.Client.GetCounters().MessagesReceived);
    }

    [Fact]
    public async Task Inbound_queue_full_drops_qos0_and_holds_back_qos1()
    {
        await using var h = new ClientHarness(o => o.InboundCapacity = 1);
        var broker = await h.StartAndConnectAsync();
        await broker.SendAsync(new PublishPacket { Topic = "a", QoS = MqttQualityOfService.AtLeastOnce, PacketId = 1 });
        Assert.Equal((ushort)1, (await broker.ExpectAsync<PubAckPacket>()).PacketId);
        await broker.SendAsync(new PublishPacket { Topic = "dropped" });  // QoS 0 into a full queue
        await broker.SendAsync(new PublishPacket { Topic = "b", QoS = MqttQualityOfService.AtLeastOnce, PacketId = 2 });
        await h.WaitForAsync(() => h.Client.GetCounters().MessagesDropped == 1, "the QoS 0 drop");
        using var cts = new CancellationTokenSource(BrokerSession.Timeout);
        Assert.Equal("a", (await h.Client.Messages.ReadAsync(cts.Token)).Topic);
        // Only now is there room for "b", and only now is it acknowledged.
        Assert.Equal((ushort)2, (await broker.ExpectAsync<PubAckPacket>()).PacketId);
        Assert.Equal("b", (await h.Client.Messages.ReadAsync(cts.Token)).Topic);
    }

    [Fact]
    public async Task Maximum_packet_size_refuses_locally_without_sending()
    {
        await using var h = new ClientHarness();
        var broker = await h.StartAndConnectAsync(new ConnAckPacket { Properties = new MqttProperties { MaximumPacketSize = 64 } });
        Assert.Equal(64, h.Client.MaximumPacketSize);
        var result = await h.Client.PublishAsync(Message(new string('x', 100)));
        Assert.Equal(MqttReasonCode.PacketTooLarge, result.ReasonCode);
        Assert.False(result.FromBroker);
        var fits = h.Client.PublishAsync(Message("small")).AsTask();
        var p = await broker.ExpectAsync<PublishPacket>();
        Assert.Equal("small", Text(p));
        await broker.SendAsync(new PubAckPacket { PacketId = p.PacketId });
        Assert.True((await fits.WaitAsync(BrokerSession.Timeout)).IsSuccess);
    }

    [Fact]
    public async Task Stop_sends_disconnect_and_fails_waiting_publishes()
    {
        var h = new ClientHarness();
        var broker = await h.StartAndConnectAsync();
        var waiting = h.Client.PublishAsync(Message("never acked")).AsTask();
        await broker.ExpectAsync<PublishPacket>();
        await h.Client.StopAsync().WaitAsync(BrokerSession.Timeout);
        Assert.IsType<DisconnectPacket>(await broker.ReceiveAsync());
        await Assert.ThrowsAsync<ObjectDisposedException>(() => waiting.WaitAsync(BrokerSession.Timeout));
        Assert.Equal(MqttConnectionState.Stopped, h.Client.State);
        await h.DisposeAsync();
    }
}
