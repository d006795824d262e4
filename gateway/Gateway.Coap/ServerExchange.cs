using System.Net;
using Gateway.Coap.Messages;
using Gateway.Coap.Reliability;
using Gateway.Coap.Transport;

namespace Gateway.Coap;

/// <summary>
/// An inbound request whose handler did not finish on the receive thread: what is needed to
/// acknowledge it with an empty ACK at the deadline and to send the response later (RFC 7252
/// §5.2.2), and the datagram buffer its payload still points into. Guarded by the endpoint's gate.
/// </summary>
internal sealed class ServerExchange(PeerAddress peer, SocketAddress to, CoapMessageType type, ushort messageId,
    ReadOnlyMemory<byte> token, Deduplicator.Handle handle, byte[] buffer, int requestLength)
{
    public PeerAddress Peer { get; } = peer;
    public SocketAddress To { get; } = to;
    public CoapMessageType Type { get; } = type;
    public ushort MessageId { get; } = messageId;
    /// <summary>The request's token, in <see cref="Buffer"/> (valid until the exchange completes and the buffer goes back).</summary>
    public ReadOnlyMemory<byte> Token { get; } = token;
    public Deduplicator.Handle Handle { get; } = handle;
    public byte[] Buffer { get; } = buffer;
    public int RequestLength { get; } = requestLength;

    public ITimer? Deadline { get; set; }
    public bool EmptyAckSent { get; set; }
    public bool Completed { get; set; }
}
