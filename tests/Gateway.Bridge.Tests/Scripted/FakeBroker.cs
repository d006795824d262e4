using System.Collections.Concurrent;
using Gateway.Mqtt.Packets;
using Gateway.Mqtt.Protocol;
using Gateway.Mqtt.Transport;

namespace Gateway.Bridge.Tests.Scripted;

/// <summary>
/// A scripted broker on an <see cref="InMemoryMqttTransport"/>: accepts every connection, grants
/// subscriptions, records every PUBLISH (with the connection number) and answers it with whatever
/// <see cref="Verdict"/> says (null = hold the PUBACK back). Tests can drop the current connection.
/// </summary>
internal sealed class FakeBroker : IAsyncDisposable
{
    private readonly InMemoryMqttTransport _transport;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;
    private static readonly SemaphoreSlim WriteLock = new(1, 1);
    private IMqttTransportConnection? _current;
    private int _connections;

    public FakeBroker(InMemoryMqttTransport transport, uint? maximumPacketSize = null)
    {
        _transport = transport;
        MaximumPacketSize = maximumPacketSize;
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    public uint? MaximumPacketSize { get; }

    /// <summary>PUBACK reason for a PUBLISH; null holds it back. Default: success.</summary>
    public Func<PublishPacket, MqttReasonCode?> Verdict { get; set; } = _ => MqttReasonCode.Success;

    public ConcurrentQueue<(int Connection, PublishPacket Packet, MqttReasonCode? Reason)> Published { get; } = new();

    public int Connections => Volatile.Read(ref _connections);

    /// <summary>Closes the live connection as a broker crash would (no DISCONNECT).</summary>
    public async Task DropAsync()
    {
        var c = Interlocked.Exchange(ref _current, null);
        if (c is not null) await c.DisposeAsync();
    }

    /// <summary>Sends a PUBLISH (QoS 1) to the client on the live connection.</summary>
    public async Task SendAsync(string topic, string payload, ushort packetId = 1)
    {
        var c = _current ?? throw new InvalidOperationException("no connection");
        await Send(c, MqttProtocolVersion.V500,
            new PublishPacket { Topic = topic, Payload = System.Text.Encoding.UTF8.GetBytes(payload), QoS = MqttQualityOfService.AtLeastOnce, PacketId = packetId });
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            IMqttTransportConnection connection;
            try { connection = await _transport.AcceptAsync(_stop.Token); }
            catch (OperationCanceledException) { return; }
            int number = Interlocked.Increment(ref _connections);
            _current = connection;
            _ = Task.Run(() => ServeAsync(connection, number));
        }
    }

    private async Task ServeAsync(IMqttTransportConnection connection, int number)
    {
        var version = MqttProtocolVersion.V500;
        try
        {
            while (true)
            {
                var result = await connection.Input.ReadAsync(_stop.Token);
                var buffer = result.Buffer;
                while (MqttPacketReader.TryRead(ref buffer, version, out var packet))
                {
                    switch (packet)
                    {
                        case ConnectPacket connect:
                            version = connect.ProtocolVersion;
                            await Send(connection, version, new ConnAckPacket
                            {
                                Properties = MaximumPacketSize is { } max ? new MqttProperties { MaximumPacketSize = max } : MqttProperties.Empty,
                            });
                            break;
                        case SubscribePacket subscribe:
                            await Send(connection, version, new SubAckPacket { PacketId = subscribe.PacketId, ReasonCodes = subscribe.Subscriptions.Select(_ => MqttReasonCode.GrantedQoS1).ToList() });
                            break;
                        case PublishPacket publish:
                            var reason = Verdict(publish);
                            Published.Enqueue((number, publish, reason));
                            if (reason is { } code && publish.QoS == MqttQualityOfService.AtLeastOnce)
                                await Send(connection, version, new PubAckPacket { PacketId = publish.PacketId, ReasonCode = code });
                            break;
                        case PingReqPacket:
                            await Send(connection, version, new PingRespPacket());
                            break;
                    }
                }
                connection.Input.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted) return;
            }
        }
        catch (Exception)
        {
            // The connection was dropped by the test or the client; the next one is served by the accept loop.
        }
    }

    private static async Task Send(IMqttTransportConnection connection, MqttProtocolVersion version, MqttPacket packet)
    {
        await WriteLock.WaitAsync();
        try
        {
            MqttPacketWriter.Write(packet, version, connection.Output);
            await connection.Output.FlushAsync();
        }
        finally
        {
            WriteLock.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        await DropAsync();
        try { await _acceptLoop; } catch (OperationCanceledException) { }
    }
}
