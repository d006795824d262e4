using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Gateway.Host.Coap;

namespace Gateway.Host.Health;

/// <summary>
/// The CoAP receive loop is alive if it received a datagram since the last check, or else if it
/// answers a CoAP ping (RFC 7252 §4.3: an Empty CON is answered with RST) sent to its own socket.
/// An idle gateway therefore costs one loopback datagram per check, and a hung receive path stops
/// the watchdog. The ping is counted in the endpoint's received-datagram statistics like any other.
/// </summary>
public sealed class CoapLivenessProbe(CoapListenerService listener) : ILivenessProbe, IDisposable
{
    private long _lastReceived = -1;
    private Socket? _socket;
    private ushort _messageId = (ushort)Random.Shared.Next(ushort.MaxValue);

    public string Name => "coap";

    public async ValueTask<LivenessResult> CheckAsync(CancellationToken cancellationToken)
    {
        var endpoint = listener.Endpoint;
        var received = endpoint.Statistics.DatagramsReceived;
        // Called by the health monitor only, one check at a time.
        var previous = _lastReceived;
        _lastReceived = received;
        if (previous >= 0 && received != previous) return LivenessResult.Ok("traffic");
        var target = (IPEndPoint)endpoint.LocalEndPoint;
        var address = target.Address.Equals(IPAddress.IPv6Any) ? IPAddress.IPv6Loopback
            : target.Address.Equals(IPAddress.Any) ? IPAddress.Loopback : target.Address;
        var socket = _socket ??= new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        var id = ++_messageId;
        var ping = new byte[4];
        ping[0] = 0x40; // version 1, CON, no token; code 0.00
        BinaryPrimitives.WriteUInt16BigEndian(ping.AsSpan(2), id);
        await socket.SendToAsync(ping, new IPEndPoint(address, target.Port), cancellationToken).ConfigureAwait(false);
        var reply = new byte[64];
        while (true)
        {
            var result = await socket.ReceiveFromAsync(reply, new IPEndPoint(address.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0), cancellationToken).ConfigureAwait(false);
            // A late RST of an earlier ping carries an older Message ID: skip it and keep waiting.
            if (result.ReceivedBytes >= 4 && reply[0] == 0x70 && BinaryPrimitives.ReadUInt16BigEndian(reply.AsSpan(2)) == id)
            {
                // Our own ping is not traffic: the next check must see a datagram after it.
                _lastReceived = endpoint.Statistics.DatagramsReceived;
                return LivenessResult.Ok("ping");
            }
        }
    }

    public void Dispose() => _socket?.Dispose();
}
