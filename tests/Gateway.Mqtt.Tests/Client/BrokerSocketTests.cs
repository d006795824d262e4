using System.Net;
using System.Net.Sockets;
using Gateway.Mqtt.Client;
using MQTTnet.Channel;

namespace Gateway.Mqtt.Tests.Client;

/// <summary>
/// The broker connection (<see cref="BrokerSocket"/>, <see cref="QuickAckStream"/>) on real loopback
/// sockets: it connects by name, leaves the buffers to the kernel, and after every read that returned
/// data the connection is in quick-ACK mode again (tcp(7): reading TCP_QUICKACK gives 1 outside the
/// delayed-ACK "ping-pong" mode, 0 inside it).
/// </summary>
public sealed class BrokerSocketTests : IDisposable
{
    private const int SolTcp = (int)SocketOptionLevel.Tcp;
    private const int TcpQuickAck = 12;
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);

    public BrokerSocketTests() => _listener.Start();

    private int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public void Dispose() => _listener.Stop();

    [Fact]
    public async Task Connects_by_host_name_and_reports_both_end_points()
    {
        var accepting = _listener.AcceptSocketAsync();
        await using var stream = await BrokerSocket.Instance.ConnectAsync(new DnsEndPoint("localhost", Port), CancellationToken.None);
        using var server = await accepting;

        var ends = Assert.IsAssignableFrom<IMqttClientStreamEndPoints>(stream);
        Assert.Equal(Port, ((IPEndPoint)ends.RemoteEndPoint!).Port);
        Assert.Equal(((IPEndPoint)server.RemoteEndPoint!).Port, ((IPEndPoint)ends.LocalEndPoint!).Port);
        var socket = ((QuickAckStream)stream).Socket;
        Assert.True(socket.NoDelay);
        // Not pinned to MQTTnet's 8 KiB (which Linux doubles to 16 KiB and then never grows): the kernel's
        // default receive buffer (tcp_rmem, 128 KiB) and its autotuning apply.
        Assert.True(socket.ReceiveBufferSize > 16384, $"receive buffer {socket.ReceiveBufferSize}");

        await stream.WriteAsync("\x10\x00"u8.ToArray());
        var received = new byte[2];
        Assert.Equal(2, await server.ReceiveAsync(received));
        Assert.Equal("\x10\x00"u8.ToArray(), received);
    }

    public static TheoryData<string> ReadKinds => ["ReadAsync(Memory)", "ReadAsync(byte[])", "Read(Span)", "Read(byte[])"];

    [Theory]
    [MemberData(nameof(ReadKinds))]
    public async Task Every_read_that_returned_data_leaves_the_connection_acknowledging_at_once(string kind)
    {
        if (!OperatingSystem.IsLinux()) return;
        var accepting = _listener.AcceptSocketAsync();
        await using var stream = (QuickAckStream)await BrokerSocket.Instance.ConnectAsync(new IPEndPoint(IPAddress.Loopback, Port), CancellationToken.None);
        using var server = await accepting;
        var buffer = new byte[16];
        for (int round = 0; round < 3; round++)
        {
            // Into delayed-ACK mode, as a connection that keeps sending (PUBLISH after PUBLISH) is.
            stream.Socket.SetRawSocketOption(SolTcp, TcpQuickAck, BitConverter.GetBytes(0));
            Assert.Equal(0, QuickAck(stream.Socket));
            await server.SendAsync(new byte[] { 0x40, 0x02, 0x00, (byte)(round + 1) });

            int read = kind switch
            {
                "ReadAsync(Memory)" => await stream.ReadAsync(buffer.AsMemory()),
                "ReadAsync(byte[])" => await stream.ReadAsync(buffer, 0, buffer.Length),
                "Read(Span)" => stream.Read(buffer.AsSpan()),
                _ => stream.Read(buffer, 0, buffer.Length),
            };

            Assert.Equal(4, read);
            Assert.Equal(round + 1, buffer[3]);
            Assert.Equal(1, QuickAck(stream.Socket));
        }
    }

    [Fact]
    public async Task The_end_of_the_stream_reads_as_zero_bytes()
    {
        var accepting = _listener.AcceptSocketAsync();
        await using var stream = await BrokerSocket.Instance.ConnectAsync(new IPEndPoint(IPAddress.Loopback, Port), CancellationToken.None);
        (await accepting).Dispose();

        Assert.Equal(0, await stream.ReadAsync(new byte[8]));
    }

    [Fact]
    public async Task A_refused_connection_throws_the_socket_error()
    {
        int port = Port;
        _listener.Stop();

        var error = await Assert.ThrowsAsync<SocketException>(() => BrokerSocket.Instance.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), CancellationToken.None));
        Assert.Equal(SocketError.ConnectionRefused, error.SocketErrorCode);
    }

    [Fact]
    public async Task A_cancelled_connect_throws_cancellation()
    {
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            BrokerSocket.Instance.ConnectAsync(new IPEndPoint(IPAddress.Loopback, Port), new CancellationToken(canceled: true)));
    }

    private static int QuickAck(Socket socket)
    {
        Span<byte> value = stackalloc byte[4];
        socket.GetRawSocketOption(SolTcp, TcpQuickAck, value);
        return BitConverter.ToInt32(value);
    }
}
