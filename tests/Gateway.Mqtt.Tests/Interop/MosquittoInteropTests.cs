using Gateway.TestKit;
using System.Text;
using Gateway.Mqtt.Client;
using Gateway.Mqtt.Protocol;

namespace Gateway.Mqtt.Tests.Interop;

/// <summary>The client against a real mosquitto 2.0.11, with mosquitto_sub/pub as the other side where useful.</summary>
public sealed class MosquittoInteropTests(MosquittoFixture fixture) : IClassFixture<MosquittoFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private static MqttClient NewClient(int port, string version, string clientId, Action<MqttClientOptions>? configure = null)
    {
        var options = new MqttClientOptions
        {
            Host = "127.0.0.1", Port = port, ClientId = clientId, ProtocolVersion = version,
            ReconnectMinSeconds = 0.1, ReconnectMaxSeconds = 0.5, KeepAliveSeconds = 30,
        };
        configure?.Invoke(options);
        return new MqttClient(options);
    }

    private static async Task<MqttMessage> NextAsync(MqttClient client)
    {
        using var cts = new CancellationTokenSource(Timeout);
        return await client.Messages.ReadAsync(cts.Token);
    }

    [Theory]
    [InlineData("5")]
    [InlineData("3.1.1")]
    public async Task Qos1_publish_is_acknowledged_and_received_by_mosquitto_sub(string version)
    {
        int port = fixture.Broker.Port;
        string topic = $"interop/{version}/{Guid.NewGuid():N}";
        await using var client = NewClient(port, version, "pub-" + version);
        client.Start();
        await client.WaitUntilConnectedAsync().WaitAsync(Timeout);

        // mosquitto_sub must be subscribed before we publish: -C 1 exits after one message, -W bounds the wait.
        using var sub = MosquittoBroker.StartTool("mosquitto_sub", "-h", "127.0.0.1", "-p", port.ToString(), "-t", topic, "-q", "1", "-C", "1", "-W", "10", "-v");
        await using var probe = NewClient(port, version, "probe-" + version);
        probe.Start();
        await probe.WaitUntilConnectedAsync().WaitAsync(Timeout);
        // mosquitto_sub gives no "subscribed" signal: publish until it exits with the message (each attempt acknowledged).
        var output = sub.StandardOutput.ReadToEndAsync();
        var deadline = DateTime.UtcNow + Timeout;
        while (!output.IsCompleted)
        {
            Assert.True(DateTime.UtcNow < deadline, "mosquitto_sub never received the message");
            var result = await client.PublishAsync(new MqttMessage { Topic = topic, Payload = "hello"u8.ToArray() }).AsTask().WaitAsync(Timeout);
            Assert.True(result.IsSuccess, result.ToString());
            await Task.WhenAny(output, Task.Delay(100));
        }
        Assert.Equal($"{topic} hello", (await output).Trim());
        Assert.True(client.GetCounters().PublishesAcknowledged >= 1);
    }

    [Theory]
    [InlineData("5")]
    [InlineData("3.1.1")]
    public async Task Subscribe_and_receive_from_mosquitto_pub(string version)
    {
        int port = fixture.Broker.Port;
        string topic = $"interop/in/{version}/{Guid.NewGuid():N}";
        await using var client = NewClient(port, version, "sub-" + version);
        client.Start();
        await client.WaitUntilConnectedAsync().WaitAsync(Timeout);
        var subscribed = await client.SubscribeAsync([new MqttSubscription { TopicFilter = topic + "/#" }]);
        Assert.Equal([MqttReasonCode.GrantedQoS1], subscribed.ReasonCodes);

        await MosquittoBroker.RunToolAsync("mosquitto_pub", "-h", "127.0.0.1", "-p", port.ToString(), "-t", topic + "/rpc", "-q", "1", "-m", "{\"id\":5}");
        var message = await NextAsync(client);
        Assert.Equal(topic + "/rpc", message.Topic);
        Assert.Equal("{\"id\":5}", Encoding.UTF8.GetString(message.Payload.Span));
        Assert.Equal(MqttQualityOfService.AtLeastOnce, message.QoS);
    }

    [Fact]
    public async Task Broker_restart_reconnects_resubscribes_and_delivers_the_unacknowledged_publish()
    {
        using var broker = new MosquittoBroker();
        string topic = "restart/" + Guid.NewGuid().ToString("N");
        await using var client = NewClient(broker.Port, "5", "restarter");
        int connectedEvents = 0;
        client.ConnectionStateChanged += (_, e) => { if (e.State == MqttConnectionState.Connected) Interlocked.Increment(ref connectedEvents); };
        await client.SubscribeAsync([new MqttSubscription { TopicFilter = topic }]);
        client.Start();
        await client.WaitUntilConnectedAsync().WaitAsync(Timeout);

        broker.Stop();
        var deadline = DateTime.UtcNow + Timeout;
        while (client.State == MqttConnectionState.Connected)
        {
            Assert.True(DateTime.UtcNow < deadline, "the client did not notice the broker going away");
            await Task.Delay(10);
        }
        // Published while the broker is down: queued, not lost, not failed.
        var publish = client.PublishAsync(new MqttMessage { Topic = topic, Payload = "kept"u8.ToArray() }).AsTask();
        // Let a reconnect attempt fail first (backoff 0.1–0.5 s with jitter: wait for it, not for a fixed time).
        while (client.GetCounters().ConnectFailures < 1)
        {
            Assert.True(DateTime.UtcNow < deadline, "no reconnect attempt while the broker was down");
            await Task.Delay(10);
        }
        Assert.False(publish.IsCompleted);
        broker.Start();

        Assert.True((await publish.WaitAsync(Timeout)).IsSuccess);
        // Delivered back to ourselves: proves the re-subscribe happened before the resend.
        var message = await NextAsync(client);
        Assert.Equal("kept", Encoding.UTF8.GetString(message.Payload.Span));
        Assert.Equal(2, Volatile.Read(ref connectedEvents));
        var counters = client.GetCounters();
        Assert.Equal(1, counters.Reconnects);
        Assert.True(counters.ConnectFailures >= 1);
    }

    [Fact]
    public async Task Maximum_packet_size_from_mosquitto_is_honoured()
    {
        using var broker = new MosquittoBroker("allow_anonymous true\nmax_packet_size 1000\n");
        await using var client = NewClient(broker.Port, "5", "maxsize");
        client.Start();
        await client.WaitUntilConnectedAsync().WaitAsync(Timeout);
        Assert.Equal(1000, client.MaximumPacketSize);  // from the v5 CONNACK (§3.2.2.3.6)
        var tooBig = await client.PublishAsync(new MqttMessage { Topic = "big", Payload = new byte[2000] });
        Assert.Equal(MqttReasonCode.PacketTooLarge, tooBig.ReasonCode);
        Assert.False(tooBig.FromBroker);
        var fits = await client.PublishAsync(new MqttMessage { Topic = "big", Payload = new byte[900] }).AsTask().WaitAsync(Timeout);
        Assert.True(fits.IsSuccess);  // and the connection survived
        Assert.Equal(MqttConnectionState.Connected, client.State);
    }

    [Fact]
    public async Task Receive_maximum_from_mosquitto_bounds_the_in_flight_window()
    {
        // mosquitto announces max_inflight_messages as its Receive Maximum (MQTT 5 CONNACK, §3.2.2.3.3).
        using var broker = new MosquittoBroker("allow_anonymous true\nmax_inflight_messages 3\n");
        await using var client = NewClient(broker.Port, "5", "window", o => o.MaxInflight = 100);
        client.Start();
        await client.WaitUntilConnectedAsync().WaitAsync(Timeout);
        Assert.Equal(3, client.InflightWindow);
        var results = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => client.PublishAsync(new MqttMessage { Topic = "window", Payload = new byte[10] }).AsTask())).WaitAsync(Timeout);
        Assert.All(results, r => Assert.True(r.IsSuccess));
        Assert.Equal(0, client.GetCounters().Reconnects);  // mosquitto never had to refuse an excess PUBLISH
    }

    [Theory]
    [InlineData("5")]
    [InlineData("3.1.1")]
    public async Task Wrong_password_is_a_connack_refusal(string version)
    {
        MosquittoBroker.RequireInstalled();
        string dir = Directory.CreateTempSubdirectory("mqtt-passwd-").FullName;
        try
        {
            string passwords = Path.Combine(dir, "passwd");
            await MosquittoBroker.RunToolAsync("mosquitto_passwd", "-b", "-c", passwords, "gateway", "right");
            using var broker = new MosquittoBroker($"allow_anonymous false\npassword_file {passwords}\n");
            var errors = new List<MqttConnectionException>();
            await using (var bad = NewClient(broker.Port, version, "bad", o => { o.Username = "gateway"; o.Password = "wrong"; }))
            {
                bad.ConnectionStateChanged += (_, e) => { if (e.Error is { } error) lock (errors) errors.Add(error); };
                bad.Start();
                var deadline = DateTime.UtcNow + Timeout;
                while (bad.GetCounters().ConnectFailures < 1)
                {
                    Assert.True(DateTime.UtcNow < deadline, "no refusal");
                    await Task.Delay(10);
                }
            }
            MqttConnectionException ex;
            lock (errors) ex = errors[0];
            Assert.Equal(MqttDisconnectReason.ConnectRefused, ex.Reason);
            Assert.Contains(ex.ReasonCode, new MqttReasonCode?[] { MqttReasonCode.BadUserNameOrPassword, MqttReasonCode.NotAuthorized });
            Assert.Contains("refused", ex.Message);
            Assert.DoesNotContain("wrong", ex.Message);  // never a secret in a message that is logged

            await using var ok = NewClient(broker.Port, version, "good", o => { o.Username = "gateway"; o.Password = "right"; });
            ok.Start();
            await ok.WaitUntilConnectedAsync().WaitAsync(Timeout);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
