using System.Net;
using Gateway.Coap.Blockwise;
using Gateway.Coap.Codec;
using Gateway.Coap.Messages;
using Gateway.Coap.Server;
using Gateway.Coap.Transport;

namespace Gateway.Coap.Observe;

/// <summary>
/// One entry in a resource's list of observers (RFC 7641 §4.1): the observer's address and token, what
/// notifications are composed for (path, query, Accept, route values of the registration) and the sequence and
/// reliability state the endpoint keeps for it. The message-layer fields are guarded by the owning endpoint's gate.
/// <para>Compact, because a gateway holds one per device and feature (issue 21: 10,000 within a Pi's memory): the
/// registration is kept as its encoded bytes (token, options except the transfer ones, payload) and its route values
/// as segment indexes (one array shared by the relations of a resource that bind alike); <see cref="CreateRequest"/>
/// rebuilds a request from them when a handler needs one.</para>
/// </summary>
public sealed class ObserveRelation
{
    // The registration as encoded on the wire (RFC 7252 §3), Message ID 0, without Observe and the block options:
    // header, token, options, payload. Immutable, so a rebuilt request's option values may alias it.
    private readonly byte[] _registration;
    private readonly RouteBinding[] _routes;
    private readonly int _targetHash;

    internal ObserveRelation(CoapEndpoint endpoint, ObservableResource resource, CoapRequest request, SocketAddress to,
        int targetHash, string? identity, int szx, uint sequence, long now)
    {
        Endpoint = endpoint;
        Resource = resource;
        Peer = request.Peer;
        To = to;
        _targetHash = targetHash;
        Identity = identity;
        RestoredState = request.RestoredState;
        SessionIdentity = request.SessionIdentity;
        _registration = Encode(request.Message);
        _routes = resource.ShareRoutes(Bind(request));
        Szx = szx;
        Sequence = sequence;
        LastActive = now;
        LastConfirmable = now;
        RegisteredAt = endpoint.Now;
    }

    public PeerAddress Peer { get; }

    public IPEndPoint PeerEndPoint => Peer.ToIPEndPoint();

    public ReadOnlyMemory<byte> Token => TokenBytes;

    public ObservableResource Resource { get; }

    /// <summary>Uri-Path and Uri-Query of the registration, e.g. <c>/api/v1/abc/rpc</c> (built on each call).</summary>
    public string Target => TargetOf(CreateRequest());

    /// <summary>The observer identity the resource gave at registration (e.g. the device), or null.</summary>
    public string? Identity { get; }

    /// <summary>The registration's <see cref="CoapRequest.RestoredState"/>: set when it was restored after a restart.</summary>
    public string? RestoredState { get; }

    /// <summary>The registration's <see cref="CoapRequest.SessionIdentity"/>: who its DTLS session authenticated, or null.</summary>
    public string? SessionIdentity { get; }

    /// <summary>Whether the registration was Confirmable; notifications follow that type (RFC 7641 §4.5).</summary>
    public bool Confirmable => (CoapMessageType)((_registration[0] >> 4) & 3) == CoapMessageType.Confirmable;

    public DateTimeOffset RegisteredAt { get; }

    /// <summary>The Observe value of the last response or notification sent on this relation.</summary>
    public uint LastSequence { get { lock (Endpoint.Gate) return Sequence; } }

    /// <summary>False once the relation was removed (deregistered, reset, timed out, replaced, evicted).</summary>
    public bool IsActive => !Removed;

    /// <summary>Free slot for the application (e.g. the device this relation belongs to).</summary>
    public object? State { get; set; }

    /// <summary>
    /// The registration request as it was (path, query, options, payload, route values, restored state and session
    /// identity; no Observe or block options), rebuilt from what the relation keeps: a new request on each call.
    /// </summary>
    public CoapRequest CreateRequest()
    {
        // Encoded by this class, so it decodes; a failure would be a codec bug, not input.
        if (!CoapCodec.TryDecode(_registration, out var message, out var error))
            throw new InvalidOperationException($"A relation's own registration does not decode: {error.Kind}.");
        var request = new CoapRequest(message, Peer) { RestoredState = RestoredState, SessionIdentity = SessionIdentity };
        foreach (var route in _routes) request.SetRouteValue(route.Name, route.Value ?? request.Path[route.Segment]);
        return request;
    }

    /// <summary>Ends the relation from the server side (e.g. the device was deleted); the resource is told with <paramref name="reason"/>.</summary>
    public void Cancel(ObserveRemovalReason reason = ObserveRemovalReason.Deregistered) => Endpoint.RemoveRelation(this, reason);

    /// <summary>The relation as registered (path and query included); what may be stored is <see cref="ObservableResource.ToStorable"/>'s.</summary>
    public ObservationSnapshot ToSnapshot()
    {
        var request = CreateRequest();
        return new(Peer, TokenBytes.ToArray(), request.Path, request.Query, Identity, request.Accept, LastSequence, Confirmable, RestoredState);
    }

    // The request's own ToString: segments bound to {parameters} (credentials) are masked, the query left out.
    public override string ToString() => $"observe {CreateRequest()} token={Convert.ToHexString(TokenBytes.Span)}";

    internal static string TargetOf(CoapRequest request) =>
        "/" + string.Join('/', request.Path) + (request.Query.Count > 0 ? "?" + string.Join('&', request.Query) : "");

    /// <summary>Blocks of a large notification are matched by the registration's key (RFC 7959 §2.4), built when one is sliced.</summary>
    internal RequestKey Key
    {
        get
        {
            var request = CreateRequest();
            return RequestKey.From(request.Method, request.Options);
        }
    }

    internal ReadOnlyMemory<byte> TokenBytes => _registration.AsMemory(CoapCodec.HeaderLength, _registration[0] & 0x0F);

    internal static int TargetHash(string target) => string.GetHashCode(target, StringComparison.Ordinal);

    /// <summary>Whether this relation's <see cref="Target"/> is <paramref name="target"/>: by its hash first, so a registration builds no string for the others.</summary>
    internal bool HasTarget(string target, int hash) => _targetHash == hash && Target == target;

    private static byte[] Encode(CoapMessage message)
    {
        var options = new List<CoapOption>(message.Options.Count);
        foreach (var option in message.Options)
        {
            if (!RequestKey.IsTransferOption(option.Number)) options.Add(option);
        }
        var kept = new CoapMessage(message.Type, message.Code, 0, message.Token, options, message.Payload);
        return CoapCodec.Encode(kept);
    }

    private static RouteBinding[] Bind(CoapRequest request)
    {
        if (request.RouteValues.Count == 0) return [];
        var path = request.Path;
        var routes = new RouteBinding[request.RouteValues.Count];
        int i = 0;
        foreach (var (name, value) in request.RouteValues)
        {
            int segment = -1;
            for (int s = 0; s < path.Count && segment < 0; s++) if (path[s] == value) segment = s;
            routes[i++] = new RouteBinding(name, segment, segment < 0 ? value : null);
        }
        return routes;
    }

    // Message-layer state, guarded by the endpoint's gate.
    internal CoapEndpoint Endpoint { get; }
    internal SocketAddress To { get; set; }
    internal int Szx { get; }
    internal uint Sequence;
    internal int SinceConfirmable;
    internal long LastConfirmable;
    internal long LastActive;
    internal bool Removed;
    internal ushort InFlightMessageId;
    internal TaskCompletionSource<NotificationOutcome>? InFlight;
    /// <summary>The relation's peer while it is registered (its PROBING_RATE budget is the peer's, RFC 7252 §4.7).</summary>
    internal ObserverPeer? Observer;
    internal ushort LastNonMessageId;
    internal bool HasNonMessageId;
    internal LinkedListNode<ObserveRelation>? Node;
    // Admission state (RFC 7641 §4.1), guarded by the endpoint's gate: whether the first response went
    // out (a restored relation's went out before the restart), whether a replacement owes this relation
    // its final response once that has happened, and whether the state changed while it registered.
    internal bool Answered;
    internal bool NoticeOwed;
    internal bool RefreshOwed;
}
