using System.Buffers;
using Gateway.Mqtt.Packets;
using Gateway.Mqtt.Protocol;
using Gateway.Mqtt.Transport;

namespace Gateway.Mqtt.Tests.Client;

/// <summary>
/// The broker side of one in-memory connection, driven step by step by a test (a scripted fake
/// broker). Every wait is bounded by a real-time timeout so a hang fails instead of blocking CI.
/// </summary>
internal sealed class BrokerSession(IMqttTransportConnection connection) : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public MqttProtocolVersion Version { get; private set; } = MqttProtocolVersion.V500;

    public static async Task<BrokerSession> AcceptAsync(InMemoryMqttTransport transport)
    {
        using var cts = new CancellationTokenSource(Timeout);
        return new BrokerSession(await transport.AcceptAsync(cts.Token));
    }

    /// <summary>Reads CONNECT, answers with <paramref name="connAck"/> (default: accepted).</summary>
    public async Task<ConnectPacket> AcceptConnectAsync(ConnAckPacket? connAck = null)
    {
        var connect = await ExpectAsync<ConnectPacket>();
        Version = connect.ProtocolVersion;
        await SendAsync(connAck ?? new ConnAckPacket());
        return connect;
    }

    public async Task<MqttPacket?> ReceiveAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? Timeout);
        while (true)
        {
            var result = await connection.Input.ReadAsync(cts.Token);
            var buffer = result.Buffer;
            if (MqttPacketReader.TryRead(ref buffer, Version, out var packet))
            {
                connection.Input.AdvanceTo(buffer.Start);  // keep the rest readable at once
                return packet;
            }
            connection.Input.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted) return null;  // the client closed the connection
        }
    }

    public async Task<T> ExpectAsync<T>() where T : MqttPacket
    {
        var packet = await ReceiveAsync();
        return packet as T ?? throw new Xunit.Sdk.XunitException($"expected {typeof(T).Name}, got {packet?.ToString() ?? "end of stream"}");
    }

    public async Task SendAsync(MqttPacket packet)
    {
        MqttPacketWriter.Write(packet, Version, connection.Output);
        await connection.Output.FlushAsync();
    }

    public async Task SendRawAsync(byte[] bytes)
    {
        await connection.Output.WriteAsync(bytes);
    }

    public ValueTask DisposeAsync() => connection.DisposeAsync();
}
