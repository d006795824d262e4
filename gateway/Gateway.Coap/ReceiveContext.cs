using System.Buffers;
using System.Net;
using Gateway.Coap.Messages;
using Gateway.Coap.Server;
using Gateway.Coap.Transport;

namespace Gateway.Coap;

/// <summary>
/// One receive thread's reusable state: the datagram buffer, the message decoded from it, the
/// request made of that, a send scratch buffer and the sender's address. Nothing here is
/// allocated per datagram; a handler that goes asynchronous takes buffer, message and request
/// with it (<see cref="Detach"/>) and the thread starts over with fresh ones.
/// </summary>
internal sealed class ReceiveContext(int maxMessageSize, SocketAddress remote)
{
    public byte[] Buffer { get; private set; } = ArrayPool<byte>.Shared.Rent(maxMessageSize);
    public byte[] SendBuffer { get; } = new byte[maxMessageSize];
    public SocketAddress Remote { get; } = remote;

    /// <summary>Length of the datagram in <see cref="Buffer"/> (what an answer's size is measured against).</summary>
    public int Length { get; set; }

    /// <summary>The datagram in <see cref="Buffer"/>, decoded in place (overwritten by the next one).</summary>
    public CoapMessage Message { get; private set; } = CoapMessage.CreateReusable();

    private CoapRequest? _request;

    /// <summary>The request for the datagram just decoded into <see cref="Message"/>: the same object every time.</summary>
    public CoapRequest RequestFor(CoapMessage message, PeerAddress peer)
    {
        if (_request is null) _request = new CoapRequest(message, peer);
        else _request.Reset(message, peer);
        return _request;
    }

    /// <summary>
    /// A handler went asynchronous: its exchange keeps the datagram buffer (returned to the pool
    /// when it completes), the message and the request aliasing it (<paramref name="message"/>,
    /// <paramref name="request"/>: null if none was made); this thread takes others, from
    /// <paramref name="spares"/> when an earlier exchange gave its back.
    /// </summary>
    public byte[] Detach(DetachedRequestPool? spares, out CoapMessage message, out CoapRequest? request)
    {
        var detached = Buffer;
        (message, request) = (Message, _request);
        Buffer = ArrayPool<byte>.Shared.Rent(maxMessageSize);
        if (spares is not null && spares.TryTake(out var spareMessage, out var spareRequest)) (Message, _request) = (spareMessage, spareRequest);
        else (Message, _request) = (CoapMessage.CreateReusable(), null);
        return detached;
    }

    public void Release() => ArrayPool<byte>.Shared.Return(Buffer);
}
