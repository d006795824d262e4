using System.Net;
using System.Net.Sockets;

namespace Gateway.Coap.Transport;

/// <summary>
/// CoAP over UDP on one socket. Binding to <c>::</c> gives a dual-stack socket: IPv4 peers appear
/// as IPv4-mapped IPv6 addresses and IPv6 link-local peers keep their scope id.
/// </summary>
public sealed class UdpDatagramTransport : IDatagramTransport
{
    private readonly Socket _socket;
    private volatile bool _closed;

    /// <param name="shareWithGroups">
    /// The All-CoAP-Nodes sockets (<see cref="Multicast.MulticastListener"/>) will bind this port: the port is open to
    /// them until <see cref="CloseToSharing"/>.
    /// </param>
    public UdpDatagramTransport(IPEndPoint bind, int receiveBufferBytes = 4 * 1024 * 1024, bool shareWithGroups = false)
    {
        _socket = new Socket(bind.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            if (bind.AddressFamily == AddressFamily.InterNetworkV6 && bind.Address.Equals(IPAddress.IPv6Any))
                _socket.DualMode = true;
            // A large receive buffer absorbs bursts; libcoap drops datagrams at N = 256 without one
            // (reference/performance.md §3, point 3). The kernel clamps it to net.core.rmem_max.
            _socket.ReceiveBufferSize = receiveBufferBytes;
            if (shareWithGroups) SocketSharing.AllowPortSharing(_socket, true);
            _socket.Bind(bind);
            ExcludesGroupTraffic = SocketSharing.OnlyOwnGroups(_socket);
        }
        catch
        {
            _socket.Dispose();
            throw;
        }
        LocalEndPoint = _socket.LocalEndPoint!;
    }

    public AddressFamily AddressFamily => _socket.AddressFamily;

    /// <summary>Datagrams to groups this socket did not join never reach it, so group sockets may join next to it.</summary>
    public bool ExcludesGroupTraffic { get; }

    public EndPoint LocalEndPoint { get; }

    /// <summary>
    /// The group sockets are bound: from now on no other socket (another gateway on the same port, say) may share the port,
    /// which would split the unicast traffic between them (SO_REUSEPORT is checked when the other socket binds).
    /// </summary>
    public void CloseToSharing() => SocketSharing.AllowPortSharing(_socket, false);

    public int Receive(Span<byte> buffer, SocketAddress remote)
    {
        while (!_closed)
        {
            try
            {
                return _socket.ReceiveFrom(buffer, SocketFlags.None, remote);
            }
            catch (SocketException e) when (!_closed && IsTransient(e.SocketErrorCode))
            {
                // ICMP errors from earlier sends, or a datagram larger than the buffer: skip it.
            }
            catch (SocketException) { return -1; }
            catch (ObjectDisposedException) { return -1; }
        }
        return -1;
    }

    public void Send(ReadOnlySpan<byte> datagram, SocketAddress remote)
    {
        if (_closed) return;
        try
        {
            _socket.SendTo(datagram, SocketFlags.None, remote);
        }
        catch (SocketException)
        {
            // Unreachable peers and full send buffers: the CoAP retransmission layer recovers.
        }
        catch (ObjectDisposedException) { }
    }

    private static bool IsTransient(SocketError error) =>
        error is SocketError.ConnectionReset or SocketError.MessageSize or SocketError.HostUnreachable
            or SocketError.NetworkUnreachable or SocketError.ConnectionRefused or SocketError.Interrupted;

    public void Dispose()
    {
        _closed = true;
        // Shutdown wakes threads blocked in recvfrom on Linux; Dispose alone may not.
        try { _socket.Shutdown(SocketShutdown.Both); } catch (SocketException) { }
        _socket.Dispose();
    }
}
