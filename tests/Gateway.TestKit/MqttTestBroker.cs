using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using MQTTnet;
using MQTTnet.Packets;
using MQTTnet.Protocol;
using MQTTnet.Server;

namespace Gateway.TestKit;

/// <summary>One PUBLISH as the broker received it, with the connection number and the PUBACK reason it got (null: none).</summary>
public sealed record ReceivedPublish(int Connection, string Topic, ReadOnlyMemory<byte> Payload, int QoS, bool Dup, byte? Reason);

/// <summary>
/// A scripted broker for behaviour tests: MQTTnet's server in-process on a loopback port. It records
/// every PUBLISH (with DUP and the connection number) and answers each with the reason code
/// <see cref="Verdict"/> gives (MQTT 5; 3.1.1 clients get a plain PUBACK), or swallows it (null: no
/// PUBACK ever, as a broker that lost it). Real interop is mosquitto's job (<see cref="MosquittoBroker"/>);
/// this one exists because mosquitto cannot be told to refuse a PUBACK or to keep one back.
/// </summary>
public sealed class MqttTestBroker : IAsyncDisposable
{
    private readonly MqttServer _server;
    private readonly ConcurrentDictionary<string, ConcurrentQueue<byte>> _verdicts = new();
    private int _connections, _pubAcks, _cleanDisconnects;

    private MqttTestBroker(int port)
    {
        Port = port;
        _server = LoopbackServer(port);
        _server.ValidatingConnectionAsync += e =>
        {
            if (RefuseConnectsWith is { } code) e.ReasonCode = (MqttConnectReasonCode)code;
            return Task.CompletedTask;
        };
        _server.ClientConnectedAsync += _ => { Interlocked.Increment(ref _connections); return Task.CompletedTask; };
        _server.ClientDisconnectedAsync += e =>
        {
            if (e.DisconnectType == MqttClientDisconnectType.Clean) Interlocked.Increment(ref _cleanDisconnects);
            return Task.CompletedTask;
        };
        _server.InterceptingInboundPacketAsync += OnInboundAsync;
        _server.InterceptingPublishAsync += OnPublishAsync;
    }

    public int Port { get; }

    /// <summary>MQTTnet's server on the loopback addresses (IPv4 and IPv6) of <paramref name="port"/>, not started.</summary>
    internal static MqttServer LoopbackServer(int port) => new MqttServerFactory().CreateMqttServer(new MqttServerOptionsBuilder()
        .WithDefaultEndpoint()
        .WithDefaultEndpointPort(port)
        .WithDefaultEndpointBoundIPAddress(IPAddress.Loopback)
        .WithDefaultEndpointBoundIPV6Address(IPAddress.IPv6Loopback)
        .Build());

    /// <summary>PUBACK reason for a PUBLISH; null swallows it (no PUBACK). Default: success.</summary>
    public Func<ReceivedPublish, byte?> Verdict { get; set; } = _ => 0;

    /// <summary>When set, every CONNECT is refused with this CONNACK reason code.</summary>
    public byte? RefuseConnectsWith { get; set; }

    public ConcurrentQueue<ReceivedPublish> Published { get; } = new();

    /// <summary>Successful connections so far.</summary>
    public int Connections => Volatile.Read(ref _connections);

    /// <summary>PUBACKs the clients sent for the broker's QoS 1 messages.</summary>
    public int PubAcksReceived => Volatile.Read(ref _pubAcks);

    /// <summary>Connections a client ended with DISCONNECT.</summary>
    public int CleanDisconnects => Volatile.Read(ref _cleanDisconnects);

    public static async Task<MqttTestBroker> StartAsync()
    {
        var broker = new MqttTestBroker(FreePort.Tcp());
        await broker._server.StartAsync();
        return broker;
    }

    /// <summary>Ends every client's connection from the broker's side (MQTT 5: DISCONNECT with <paramref name="reason"/>).</summary>
    public async Task DropAsync(byte reason = (byte)MqttDisconnectReasonCode.ServerShuttingDown)
    {
        foreach (var client in await _server.GetClientsAsync())
            await client.DisconnectAsync(new MqttServerClientDisconnectOptions { ReasonCode = (MqttDisconnectReasonCode)reason });
    }

    /// <summary>Publishes to the subscribers (QoS 1 unless told otherwise), as the cloud would.</summary>
    public Task SendAsync(string topic, string payload, int qos = 1) =>
        _server.InjectApplicationMessage(new InjectedMqttApplicationMessage(new MqttApplicationMessage
        {
            Topic = topic,
            PayloadSegment = new ArraySegment<byte>(System.Text.Encoding.UTF8.GetBytes(payload)),
            QualityOfServiceLevel = (MqttQualityOfServiceLevel)qos,
        }) { SenderClientId = "test-broker" });

    private Task OnInboundAsync(InterceptingPacketEventArgs e)
    {
        if (e.Packet is MqttPubAckPacket) Interlocked.Increment(ref _pubAcks);
        if (e.Packet is not MqttPublishPacket publish) return Task.CompletedTask;
        var received = new ReceivedPublish(Connections, publish.Topic, publish.Payload.ToArray(), (int)publish.QualityOfServiceLevel, publish.Dup, null);
        var verdict = publish.QualityOfServiceLevel == MqttQualityOfServiceLevel.AtMostOnce ? (byte?)0 : Verdict(received);
        Published.Enqueue(received with { Reason = publish.QualityOfServiceLevel == MqttQualityOfServiceLevel.AtMostOnce ? null : verdict });
        if (verdict is not { } code)
        {
            e.ProcessPacket = false;  // swallowed: the client never gets a PUBACK for it
            return Task.CompletedTask;
        }
        // The server handles one connection's packets in order, so the publish interceptor takes these in the same order.
        _verdicts.GetOrAdd(e.ClientId, _ => new ConcurrentQueue<byte>()).Enqueue(code);
        return Task.CompletedTask;
    }

    private Task OnPublishAsync(InterceptingPublishEventArgs e)
    {
        if (e.ClientId == "test-broker" || !_verdicts.TryGetValue(e.ClientId, out var queue) || !queue.TryDequeue(out var code)) return Task.CompletedTask;
        e.Response.ReasonCode = (MqttPubAckReasonCode)code;
        e.ProcessPublish = code < 0x80;
        return Task.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await _server.StopAsync();
        _server.Dispose();
    }
}
