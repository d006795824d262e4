using System.Text;
using Gateway.Mqtt.Client;
using Gateway.Mqtt.Protocol;
using Gateway.TestKit;

namespace Gateway.Mqtt.Tests.Client;

/// <summary>
/// The adapter's promises to the bridge, against MQTTnet's server in-process (<see cref="MqttTestBroker"/>):
/// PUBACK reason codes as results, the in-flight window, resend with DUP and re-subscribe across
/// reconnects, back-pressure on inbound messages, refusals, dead links and stop.
/// </summary>
public sealed class MqttClientBehaviourTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private static MqttClientOptions Options(int port, string version = "5", Action<MqttClientOptions>? configure = null)
    {
        var options = new MqttClientOptions
        {
            Host = "127.0.0.1", Port = port, ClientId = "gw-test", ProtocolVersion = version, KeepAliveSeconds = 30,
            ReconnectMinSeconds = 0.05, ReconnectMaxSeconds = 0.2,
        };
        configure?.Invoke(options);
        return options;
    }

    private static MqttMessage Message(string text, string topic = "v1/gateway/telemetry") => new() { Topic = topic, Payload = Encoding.UTF8.GetBytes(text) };

    private static async Task WaitForAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting for " + what);
            await Task.Delay(10);
        }
    }

    private static async Task<MqttClient> ConnectedAsync(MqttClientOptions options, List<MqttConnectionStateChangedEventArgs>? events = null)
    {
        var client = new MqttClient(options);
        if (events is not null) client.ConnectionStateChanged += (_, e) => { lock (events) events.Add(e); };
        client.Start();
        await client.WaitUntilConnectedAsync().WaitAsync(Timeout);
        return client;
    }

    [Fact]
    public async Task Puback_with_an_error_reason_is_a_result_not_an_exception()
    {
        await using var broker = await MqttTestBroker.StartAsync();
        broker.Verdict = p => Encoding.UTF8.GetString(p.Payload.Span) == "bad" ? (byte)MqttReasonCode.QuotaExceeded : (byte)0;
        await using var client = await ConnectedAsync(Options(broker.Port));

        var refused = await client.PublishAsync(Message("bad")).AsTask().WaitAsync(Timeout);
        Assert.Equal(MqttReasonCode.QuotaExceeded, refused.ReasonCode);
        Assert.False(refused.IsSuccess);  // ≥ 0x80 is a refusal, not a delivery
        Assert.True(refused.FromBroker);
        Assert.True((await client.PublishAsync(Message("good")).AsTask().WaitAsync(Timeout)).IsSuccess);
        var counters = client.GetCounters();
        Assert.Equal((1L, 1L), (counters.PubAckFailures, counters.PublishesAcknowledged));
    }

    [Fact]
    public async Task V311_puback_has_no_reason_code_so_it_is_success()
    {
        await using var broker = await MqttTestBroker.StartAsync();
        broker.Verdict = _ => (byte)MqttReasonCode.PayloadFormatInvalid;  // a 3.1.1 PUBACK cannot carry it
        await using var client = await ConnectedAsync(Options(broker.Port, "3.1.1"));
        var result = await client.PublishAsync(Message("x")).AsTask().WaitAsync(Timeout);
        Assert.Equal(MqttReasonCode.Success, result.ReasonCode);
        Assert.Equal(1, (Assert.Single(broker.Published)).QoS);
    }

    [Fact]
    public async Task In_flight_window_bounds_unacknowledged_publishes_and_they_are_resent_with_dup_after_a_reconnect()
    {
        await using var broker = await MqttTestBroker.StartAsync();
        broker.Verdict = _ => null;  // the broker loses every PUBACK
        await using var client = await ConnectedAsync(Options(broker.Port, configure: o => o.MaxInflight = 3));
        Assert.Equal(3, client.InflightWindow);

        var publishes = Enumerable.Range(0, 10).Select(i => client.PublishAsync(Message($"m{i}")).AsTask()).ToList();
        await WaitForAsync(() => broker.Published.Count >= 3, "three PUBLISHes");
        await Task.Delay(300);
        Assert.True(broker.Published.Count == 3, string.Join(" | ", broker.Published.Select(p => $"{p.Connection} {p.Dup} {Encoding.UTF8.GetString(p.Payload.Span)}")));  // the other seven wait for a place in the window
        Assert.All(publishes, p => Assert.False(p.IsCompleted));

        broker.Verdict = _ => 0;
        await broker.DropAsync();
        var results = await Task.WhenAll(publishes).WaitAsync(Timeout);
        Assert.All(results, r => Assert.True(r.IsSuccess));
        var second = broker.Published.Where(p => p.Connection == 2).ToList();
        Assert.Equal(10, second.Select(p => Encoding.UTF8.GetString(p.Payload.Span)).Distinct().Count());
        Assert.Equal(3, second.Count(p => p.Dup));
        Assert.Equal(3, client.GetCounters().PublishesResent);
    }

    [Fact]
    public async Task Reconnect_restores_the_subscriptions()
    {
        await using var broker = await MqttTestBroker.StartAsync();
        var events = new List<MqttConnectionStateChangedEventArgs>();
        await using var client = await ConnectedAsync(Options(broker.Port), events);
        var subscribed = await client.SubscribeAsync([new MqttSubscription { TopicFilter = "v1/gateway/rpc", NoLocal = true }]);
        Assert.True(subscribed.AllGranted, string.Join(",", subscribed.ReasonCodes));

        await broker.DropAsync((byte)MqttReasonCode.ServerShuttingDown);
        await WaitForAsync(() => broker.Connections == 2 && client.State == MqttConnectionState.Connected, "the reconnect");
        await broker.SendAsync("v1/gateway/rpc", "{\"id\":1}");
        using var cts = new CancellationTokenSource(Timeout);
        Assert.Equal("{\"id\":1}", Encoding.UTF8.GetString((await client.Messages.ReadAsync(cts.Token)).Payload.Span));
        lock (events)
        {
            var lost = events.First(e => e.State == MqttConnectionState.Disconnected);
            Assert.Equal(MqttDisconnectReason.ServerDisconnect, lost.Error!.Reason);
            Assert.Equal(MqttReasonCode.ServerShuttingDown, lost.Error.ReasonCode);
            Assert.True(events.Last(e => e.State == MqttConnectionState.Connected).IsReconnect);
        }
    }

    // A bridge subscribes right after Start(), while the first connect is under way. A SubscribeAsync that found no
    // session yet, racing the connect's own SUBSCRIBE snapshot, used to wait for the next reconnect: the cloud's
    // downlinks were lost meanwhile (seen as an RPC that never reached a device after a gateway restart).
    [Fact]
    public async Task Subscribing_while_the_first_connect_is_under_way_is_live_on_that_connection()
    {
        for (int round = 0; round < 40; round++)
        {
            await using var broker = await MqttTestBroker.StartAsync();
            await using var client = new MqttClient(Options(broker.Port));
            client.Start();
            await Task.Delay(round % 8); // the subscription lands before, during and after the connect
            await client.SubscribeAsync([new MqttSubscription { TopicFilter = "v1/gateway/rpc", NoLocal = true }]);
            await client.WaitUntilConnectedAsync().WaitAsync(Timeout);

            await broker.SendAsync("v1/gateway/rpc", $"{{\"id\":{round}}}");
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            var received = await client.Messages.ReadAsync(cts.Token);
            Assert.Equal($"{{\"id\":{round}}}", Encoding.UTF8.GetString(received.Payload.Span));
            Assert.Equal(1, broker.Connections);
        }
    }

    [Fact]
    public async Task Publishes_made_before_the_first_connect_are_sent_once_connected()
    {
        await using var broker = await MqttTestBroker.StartAsync();
        await using var client = new MqttClient(Options(broker.Port));
        var early = client.PublishAsync(Message("early")).AsTask();
        await Task.Delay(100);
        Assert.False(early.IsCompleted);
        client.Start();
        Assert.True((await early.WaitAsync(Timeout)).IsSuccess);
    }

    [Fact]
    public async Task Refused_connect_is_reported_with_its_reason_and_retried()
    {
        await using var broker = await MqttTestBroker.StartAsync();
        broker.RefuseConnectsWith = (byte)MqttReasonCode.NotAuthorized;
        var events = new List<MqttConnectionStateChangedEventArgs>();
        await using var client = new MqttClient(Options(broker.Port));
        client.ConnectionStateChanged += (_, e) => { lock (events) events.Add(e); };
        client.Start();
        await WaitForAsync(() => client.GetCounters().ConnectFailures >= 2, "two refused attempts");
        lock (events)
        {
            var refused = events.First(e => e.Error?.Reason == MqttDisconnectReason.ConnectRefused);
            Assert.Equal(MqttReasonCode.NotAuthorized, refused.Error!.ReasonCode);
            Assert.Contains("refused", refused.Error.Message);
        }
        broker.RefuseConnectsWith = null;
        await client.WaitUntilConnectedAsync().WaitAsync(Timeout);
    }

    [Fact]
    public async Task Backoff_doubles_with_jitter_up_to_the_maximum()
    {
        var time = new ManualTimeProvider();
        int port = FreePort.Tcp();  // nothing listens: every attempt is refused at once
        await using var client = new MqttClient(Options(port, configure: o => { o.ReconnectMinSeconds = 1; o.ReconnectMaxSeconds = 8; }), timeProvider: time, random: new Random(7));
        client.Start();
        var attempts = new List<DateTimeOffset>();
        var deadline = DateTime.UtcNow + Timeout;
        long seen = 0;
        while (attempts.Count < 7)
        {
            Assert.True(DateTime.UtcNow < deadline, "the client stopped retrying");
            var failures = client.GetCounters().ConnectFailures;
            if (failures > seen) { seen = failures; attempts.Add(time.GetUtcNow()); }
            else if (client.State == MqttConnectionState.Disconnected && time.ActiveTimers > 0) time.Advance(TimeSpan.FromMilliseconds(50));
            else await Task.Delay(1);
        }
        var gaps = attempts.Zip(attempts.Skip(1), (a, b) => (b - a).TotalSeconds).ToList();
        double[] ceilings = [1, 2, 4, 8, 8, 8];  // min·2ⁿ capped at the maximum; jitter keeps each in [c/2, c]
        for (int i = 0; i < gaps.Count; i++)
            Assert.InRange(gaps[i], Math.Max(1, ceilings[i] / 2) - 0.001, ceilings[i] + 0.101);
    }

    [Fact]
    public async Task Inbound_qos1_and_qos0_are_delivered()
    {
        await using var broker = await MqttTestBroker.StartAsync();
        await using var client = await ConnectedAsync(Options(broker.Port));
        await client.SubscribeAsync([new MqttSubscription { TopicFilter = "v1/gateway/#" }]);
        await broker.SendAsync("v1/gateway/rpc", "{\"id\":5}", qos: 1);
        await broker.SendAsync("v1/gateway/attributes", "{}", qos: 0);
        using var cts = new CancellationTokenSource(Timeout);
        var m1 = await client.Messages.ReadAsync(cts.Token);
        var m2 = await client.Messages.ReadAsync(cts.Token);
        Assert.Equal(("v1/gateway/rpc", "{\"id\":5}", MqttQualityOfService.AtLeastOnce), (m1.Topic, Encoding.UTF8.GetString(m1.Payload.Span), m1.QoS));
        Assert.Equal(("v1/gateway/attributes", MqttQualityOfService.AtMostOnce), (m2.Topic, m2.QoS));
        await WaitForAsync(() => broker.PubAcksReceived == 1, "the PUBACK of the QoS 1 message");
        Assert.Equal(2, client.GetCounters().MessagesReceived);
    }

    [Fact]
    public async Task Inbound_queue_full_drops_qos0_and_holds_back_the_puback_of_qos1()
    {
        await using var broker = await MqttTestBroker.StartAsync();
        await using var client = await ConnectedAsync(Options(broker.Port, configure: o => o.InboundCapacity = 1));
        await client.SubscribeAsync([new MqttSubscription { TopicFilter = "in/#" }]);
        await broker.SendAsync("in/a", "a", qos: 1);
        await WaitForAsync(() => broker.PubAcksReceived == 1, "the PUBACK of a");
        await broker.SendAsync("in/dropped", "x", qos: 0);  // into a full queue
        await WaitForAsync(() => client.GetCounters().MessagesDropped == 1, "the QoS 0 drop");
        await broker.SendAsync("in/b", "b", qos: 1);
        await Task.Delay(300);
        Assert.Equal(1, broker.PubAcksReceived);  // b waits for room; unacknowledged, the broker keeps it
        using var cts = new CancellationTokenSource(Timeout);
        Assert.Equal("in/a", (await client.Messages.ReadAsync(cts.Token)).Topic);
        Assert.Equal("in/b", (await client.Messages.ReadAsync(cts.Token)).Topic);
        await WaitForAsync(() => broker.PubAcksReceived == 2, "the PUBACK of b, once queued");
    }

    [Fact]
    public async Task A_silently_dead_link_is_detected_within_one_and_a_half_keep_alives_and_replaced()
    {
        await using var broker = await MqttTestBroker.StartAsync();
        using var relay = new FreezingTcpRelay(broker.Port);
        var events = new List<MqttConnectionStateChangedEventArgs>();
        await using var client = await ConnectedAsync(Options(relay.Port, configure: o => o.KeepAliveSeconds = 2), events);

        relay.Freeze();
        var frozenAt = DateTime.UtcNow;
        // A publish on the dead link is kept, not lost: it completes on the next connection.
        var publish = client.PublishAsync(Message("across")).AsTask();
        await WaitForAsync(() => client.State != MqttConnectionState.Connected, "the dead link to be noticed");
        var noticed = DateTime.UtcNow - frozenAt;
        Assert.True(noticed.TotalSeconds is > 1 and < 2 * 1.5 + 1.5, $"noticed after {noticed.TotalSeconds:0.00} s");
        lock (events) Assert.Equal(MqttDisconnectReason.KeepAliveTimeout, events.First(e => e.State == MqttConnectionState.Disconnected).Error!.Reason);

        Assert.True((await publish.WaitAsync(Timeout)).IsSuccess);
        Assert.Equal(2, broker.Connections);
    }

    [Fact]
    public async Task Stop_sends_disconnect_and_fails_waiting_publishes()
    {
        await using var broker = await MqttTestBroker.StartAsync();
        broker.Verdict = _ => null;
        var client = await ConnectedAsync(Options(broker.Port));
        var waiting = client.PublishAsync(Message("never acked")).AsTask();
        await WaitForAsync(() => !broker.Published.IsEmpty, "the PUBLISH");
        await client.StopAsync().WaitAsync(Timeout);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => waiting.WaitAsync(Timeout));
        Assert.Equal(MqttConnectionState.Stopped, client.State);
        await WaitForAsync(() => broker.CleanDisconnects == 1, "the DISCONNECT");
        await Assert.ThrowsAsync<ObjectDisposedException>(() => client.PublishAsync(Message("after")).AsTask());
        await client.DisposeAsync();
    }
}
