using Gateway.Mqtt.Connection;
using Gateway.Mqtt.Packets;
using Gateway.Mqtt.Protocol;
using Gateway.Mqtt.Transport;
using Gateway.TestKit;

namespace Gateway.Mqtt.Tests.Client;

/// <summary><see cref="MqttConnection"/> against a scripted broker: handshake outcomes and keep-alive.</summary>
public sealed class ConnectionScriptedTests
{
    private static async Task<(Task<MqttConnection> Connect, BrokerSession Broker)> BeginAsync(
        InMemoryMqttTransport transport, MqttProtocolVersion version, ManualTimeProvider? time = null, ushort keepAlive = 10)
    {
        var task = MqttConnection.ConnectAsync(transport, new ConnectPacket { ProtocolVersion = version, ClientId = "c", KeepAliveSeconds = keepAlive },
            new MqttConnectionSettings { TimeProvider = time ?? new ManualTimeProvider() }, CancellationToken.None);
        return (task, await BrokerSession.AcceptAsync(transport));
    }

    [Fact]
    public async Task V5_refusal_is_a_clear_error_with_the_reason_code()
    {
        var transport = new InMemoryMqttTransport();
        var (connect, broker) = await BeginAsync(transport, MqttProtocolVersion.V500);
        await broker.AcceptConnectAsync(new ConnAckPacket { ReasonCode = MqttReasonCode.BadUserNameOrPassword, Properties = new MqttProperties { ReasonString = "token unknown" } });
        var ex = await Assert.ThrowsAsync<MqttConnectionException>(() => connect.WaitAsync(BrokerSession.Timeout));
        Assert.Equal(MqttDisconnectReason.ConnectRefused, ex.Reason);
        Assert.Equal(MqttReasonCode.BadUserNameOrPassword, ex.ReasonCode);
        Assert.Contains("0x86 BadUserNameOrPassword", ex.Message);
        Assert.Contains("token unknown", ex.Message);
    }

    [Fact]
    public async Task V311_refusal_names_the_return_code()
    {
        var transport = new InMemoryMqttTransport();
        var (connect, broker) = await BeginAsync(transport, MqttProtocolVersion.V311);
        await broker.ExpectAsync<ConnectPacket>();
        await broker.SendRawAsync(Hex.Parse("20 02 00 05"));  // 3.1.1 §3.2.2.3: 5 = not authorized
        var ex = await Assert.ThrowsAsync<MqttConnectionException>(() => connect.WaitAsync(BrokerSession.Timeout));
        Assert.Equal(MqttReasonCode.NotAuthorized, ex.ReasonCode);
        Assert.Contains("return code 5", ex.Message);
    }

    [Fact]
    public async Task A_311_broker_answering_a_v5_connect_is_explained()
    {
        var transport = new InMemoryMqttTransport();
        var (connect, broker) = await BeginAsync(transport, MqttProtocolVersion.V500);
        await broker.ExpectAsync<ConnectPacket>();
        await broker.SendRawAsync(Hex.Parse("20 02 00 01"));  // what a 3.1.1-only broker sends: unacceptable protocol level
        var ex = await Assert.ThrowsAsync<MqttConnectionException>(() => connect.WaitAsync(BrokerSession.Timeout));
        Assert.Contains("3.1.1", ex.Message);
    }

    [Fact]
    public async Task A_packet_other_than_connack_first_is_a_protocol_error()
    {
        var transport = new InMemoryMqttTransport();
        var (connect, broker) = await BeginAsync(transport, MqttProtocolVersion.V500);
        await broker.ExpectAsync<ConnectPacket>();
        await broker.SendAsync(PingRespPacket.Instance);
        var ex = await Assert.ThrowsAsync<MqttConnectionException>(() => connect.WaitAsync(BrokerSession.Timeout));
        Assert.Equal(MqttDisconnectReason.ProtocolError, ex.Reason);
    }

    [Fact]
    public async Task No_connack_before_the_timeout()
    {
        var transport = new InMemoryMqttTransport();
        var time = new ManualTimeProvider();
        var (connect, broker) = await BeginAsync(transport, MqttProtocolVersion.V500, time);
        await broker.ExpectAsync<ConnectPacket>();
        time.Advance(TimeSpan.FromSeconds(10));
        var ex = await Assert.ThrowsAsync<MqttConnectionException>(() => connect.WaitAsync(BrokerSession.Timeout));
        Assert.Equal(MqttDisconnectReason.ConnectTimeout, ex.Reason);
    }

    [Fact]
    public async Task Pingreq_after_one_keep_alive_and_dead_link_at_one_and_a_half()
    {
        var transport = new InMemoryMqttTransport();
        var time = new ManualTimeProvider();
        var (connect, broker) = await BeginAsync(transport, MqttProtocolVersion.V500, time, keepAlive: 10);
        await broker.AcceptConnectAsync();
        var connection = await connect.WaitAsync(BrokerSession.Timeout);

        time.Advance(TimeSpan.FromSeconds(9.9));
        time.Advance(TimeSpan.FromSeconds(0.1));      // 10 s of silence: the client must ping (§3.1.2.10)
        Assert.IsType<PingReqPacket>(await broker.ReceiveAsync());
        // The broker never answers. Nothing arrived since the CONNACK at t=0, so the link is dead at 15 s.
        time.Advance(TimeSpan.FromSeconds(4.9));
        Assert.True(connection.IsOpen);
        time.Advance(TimeSpan.FromSeconds(0.1));
        Assert.False(connection.IsOpen);
        var reason = await connection.Completion.WaitAsync(BrokerSession.Timeout);
        Assert.Equal(MqttDisconnectReason.KeepAliveTimeout, reason.Reason);
        Assert.Equal(0, time.ActiveTimers);
    }

    [Fact]
    public async Task Server_keep_alive_overrides_ours_and_a_pingresp_keeps_the_link()
    {
        var transport = new InMemoryMqttTransport();
        var time = new ManualTimeProvider();
        var (connect, broker) = await BeginAsync(transport, MqttProtocolVersion.V500, time, keepAlive: 60);
        await broker.AcceptConnectAsync(new ConnAckPacket { Properties = new MqttProperties { ServerKeepAlive = 4 } });  // §3.2.2.3.14
        var connection = await connect.WaitAsync(BrokerSession.Timeout);
        Assert.Equal(TimeSpan.FromSeconds(4), connection.KeepAlive);
        for (int i = 0; i < 3; i++)
        {
            time.Advance(TimeSpan.FromSeconds(4));
            Assert.IsType<PingReqPacket>(await broker.ReceiveAsync());
            await broker.SendAsync(PingRespPacket.Instance);
            // A SUBACK sent after the PINGRESP on the same stream: once the client has it, it has read the PINGRESP.
            var subscribed = connection.SubscribeAsync([new MqttSubscription { TopicFilter = "sync" }], CancellationToken.None);
            var subscribe = await broker.ExpectAsync<SubscribePacket>();
            await broker.SendAsync(new SubAckPacket { PacketId = subscribe.PacketId, ReasonCodes = [MqttReasonCode.GrantedQoS1] });
            await subscribed.WaitAsync(BrokerSession.Timeout);
        }
        // 12 s > 1.5 × 4 s: only the answers kept the link alive.
        Assert.True(connection.IsOpen);
        await connection.DisconnectAsync();
        Assert.IsType<DisconnectPacket>(await broker.ReceiveAsync());
    }

    [Fact]
    public async Task Server_disconnect_ends_the_connection_with_its_reason()
    {
        var transport = new InMemoryMqttTransport();
        var (connect, broker) = await BeginAsync(transport, MqttProtocolVersion.V500);
        await broker.AcceptConnectAsync();
        var connection = await connect.WaitAsync(BrokerSession.Timeout);
        var pending = connection.PublishAtLeastOnce(new PublishPacket { Topic = "t", QoS = MqttQualityOfService.AtLeastOnce, PacketId = 1 });
        await broker.ExpectAsync<PublishPacket>();
        await broker.SendAsync(new DisconnectPacket { ReasonCode = MqttReasonCode.SessionTakenOver });
        var reason = await connection.Completion.WaitAsync(BrokerSession.Timeout);
        Assert.Equal(MqttDisconnectReason.ServerDisconnect, reason.Reason);
        Assert.Equal(MqttReasonCode.SessionTakenOver, reason.ReasonCode);
        // Fail-all: the waiting PUBACK fails with the same reason instead of hanging.
        var ex = await Assert.ThrowsAsync<MqttConnectionException>(() => pending.WaitAsync(BrokerSession.Timeout));
        Assert.Same(reason, ex);
    }

    [Fact]
    public async Task Garbage_from_the_broker_kills_the_connection_with_a_v5_disconnect()
    {
        var transport = new InMemoryMqttTransport();
        var (connect, broker) = await BeginAsync(transport, MqttProtocolVersion.V500);
        await broker.AcceptConnectAsync();
        var connection = await connect.WaitAsync(BrokerSession.Timeout);
        await broker.SendRawAsync(Hex.Parse("00 00"));  // packet type 0 is reserved (§2.1.2)
        var reason = await connection.Completion.WaitAsync(BrokerSession.Timeout);
        Assert.Equal(MqttDisconnectReason.ProtocolError, reason.Reason);
        var disconnect = Assert.IsType<DisconnectPacket>(await broker.ReceiveAsync());
        Assert.Equal(MqttReasonCode.MalformedPacket, disconnect.ReasonCode);  // §4.13.1
    }
}
