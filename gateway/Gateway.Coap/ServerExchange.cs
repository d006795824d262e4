using System.Net;
using System.Net.Sockets;
using Gateway.Coap.Messages;
using Gateway.Coap.Reliability;
using Gateway.Coap.Server;
using Gateway.Coap.Transport;

namespace Gateway.Coap;

/// <summary>
/// An inbound request whose handler did not finish on the receive thread: what is needed to acknowledge it with an
/// empty ACK at the deadline and to send the response later (RFC 7252 §5.2.2), the datagram buffer its payload still
/// points into, and the handler's pending answer. Reused: once complete it goes back to its endpoint's spares with its
/// address buffer, its deadline timer and the continuation that completes it, so an asynchronous exchange allocates
/// none of them (issue 21). Fields are written by the receive thread before the deadline is armed and the handler's
/// continuation registered; <see cref="EmptyAckSent"/> and <see cref="Completed"/> are then guarded by the endpoint's gate.
/// </summary>
internal sealed class ServerExchange
{
    // The largest address of a UDP peer (IPv6 with its scope id); a larger one (another transport's) gets its own.
    private static readonly int AddressCapacity = SocketAddress.GetMaximumAddressSize(AddressFamily.InterNetworkV6);

    private SocketAddress _to = new(AddressFamily.InterNetworkV6, AddressCapacity);

    public ServerExchange(Action<ServerExchange> complete) => HandlerCompleted = () => complete(this);

    /// <summary>Registered on the handler's pending answer: completes this exchange (one delegate for every use).</summary>
    public Action HandlerCompleted { get; }

    public PeerAddress Peer { get; private set; }

    /// <summary>Where the answer goes; this exchange's own buffer, valid until it completes.</summary>
    public SocketAddress To => _to;

    public CoapMessageType Type { get; private set; }
    public ushort MessageId { get; private set; }
    /// <summary>The request's token, in <see cref="Buffer"/> (valid until the exchange completes and the buffer goes back).</summary>
    public ReadOnlyMemory<byte> Token { get; private set; }
    public Deduplicator.Handle Handle { get; private set; }
    public byte[] Buffer { get; private set; } = [];
    public int RequestLength { get; private set; }

    public CoapRequest Request { get; private set; } = null!;
    /// <summary>The request's message when the request may be reused once the exchange is complete.</summary>
    public CoapMessage? SpareMessage { get; private set; }
    public ValueTask<CoapResponse> Pending { get; private set; }

    /// <summary>Created for the first confirmable use and re-armed for every later one.</summary>
    public ITimer? Deadline { get; set; }
    /// <summary>When this use began: a deadline callback of an earlier use that ran late is told apart by it.</summary>
    public long ArmedAt { get; private set; }

    public bool EmptyAckSent { get; set; }

    private bool _completed;

    /// <summary>
    /// Cleared last by <see cref="Start"/> (a release), read with acquire: a late deadline callback of the previous use that
    /// finds it false sees all of this use, <see cref="ArmedAt"/> included — without the receive thread taking the gate.
    /// </summary>
    public bool Completed { get => Volatile.Read(ref _completed); set => Volatile.Write(ref _completed, value); }

    public void Start(PeerAddress peer, SocketAddress from, CoapMessage message, Deduplicator.Handle handle, byte[] buffer, int requestLength,
        CoapRequest request, CoapMessage? spareMessage, ValueTask<CoapResponse> pending, long now)
    {
        Peer = peer;
        if (from.Size > _to.Buffer.Length) _to = new SocketAddress(from.Family, from.Size);
        from.Buffer.Span[..from.Size].CopyTo(_to.Buffer.Span); // the family is in the bytes
        _to.Size = from.Size;
        Type = message.Type;
        MessageId = message.MessageId;
        Token = message.Token;
        Handle = handle;
        Buffer = buffer;
        RequestLength = requestLength;
        Request = request;
        SpareMessage = spareMessage;
        Pending = pending;
        ArmedAt = now;
        EmptyAckSent = false;
        Completed = false; // last: publishes this use
    }

    /// <summary>Forgets what the use referred to, so a kept exchange holds no request, buffer or task.</summary>
    public void Clear()
    {
        Buffer = [];
        Token = default;
        Request = null!;
        SpareMessage = null;
        Pending = default;
    }
}
