using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using MQTTnet.Channel;

namespace Gateway.Mqtt.Client;

/// <summary>
/// The broker connection's stream, which acknowledges what it read at once. Linux delays an ACK (up
/// to 40 ms) while the connection looks interactive, and leaves quick-ACK mode on its own, so the
/// option is set again after every read that returned data (tcp(7), TCP_QUICKACK). Elsewhere the
/// stream is a plain <see cref="NetworkStream"/>.
/// </summary>
internal sealed class QuickAckStream(Socket socket) : NetworkStream(socket, ownsSocket: true), IMqttClientStreamEndPoints
{
    // tcp(7): TCP_QUICKACK, an option of the TCP level (SOL_TCP) that .NET has no name for; Linux only.
    private const int TcpQuickAck = 12;
    private static readonly bool Supported = OperatingSystem.IsLinux();
    private static readonly byte[] On = BitConverter.GetBytes(1);

    public EndPoint? LocalEndPoint => Socket.LocalEndPoint;

    public EndPoint? RemoteEndPoint => Socket.RemoteEndPoint;

    public override int Read(byte[] buffer, int offset, int count) => AckAfter(base.Read(buffer, offset, count));

    public override int Read(Span<byte> buffer) => AckAfter(base.Read(buffer));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = base.ReadAsync(buffer, cancellationToken);
        return read.IsCompletedSuccessfully ? new ValueTask<int>(AckAfter(read.Result)) : AckAfterAsync(read);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> AckAfterAsync(ValueTask<int> read) => AckAfter(await read.ConfigureAwait(false));

    private int AckAfter(int bytes)
    {
        if (bytes > 0 && Supported)
        {
            try
            {
                Socket.SetRawSocketOption((int)SocketOptionLevel.Tcp, TcpQuickAck, On);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // Closing under us: the next read reports it.
            }
        }
        return bytes;
    }
}
