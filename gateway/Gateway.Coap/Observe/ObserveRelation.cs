using System.Net;
using Gateway.Coap.Blockwise;
using Gateway.Coap.Server;
using Gateway.Coap.Transport;

namespace Gateway.Coap.Observe;

/// <summary>
/// One entry in a resource's list of observers (RFC 7641 §4.1): the observer's address and token,
/// the registration request (kept so notifications can be composed for exactly what the observer
/// asked for: path, query, Accept, route values), and the sequence and reliability state the
/// endpoint keeps for it. The message-layer fields are guarded by the owning endpoint's gate.
/// </summary>
public sealed class ObserveRelation
{
    internal ObserveRelation(CoapEndpoint endpoint, ObservableResource resource, CoapRequest request, SocketAddress to,
        byte[] token, string target, string? identity, bool confirmable, RequestKey key, int szx, uint sequence, long now)
    {
        Endpoint = endpoint;
        Resource = resource;
        Request = request;
        To = to;
        TokenBytes = token;
        Target = target;
        Identity = identity;
        Confirmable = confirmable;
        Key = key;
        Szx = szx;
        Sequence = sequence;
        LastActive = now;
        LastConfirmable = now;
        RegisteredAt = endpoint.Now;
    }

    public PeerAddress Peer => Request.Peer;

    public IPEndPoint PeerEndPoint => Request.PeerEndPoint;

    public ReadOnlyMemory<byte> Token => TokenBytes;

    public ObservableResource Resource { get; }

    /// <summary>The registration request (an owned copy, payload dropped): compose notifications from it.</summary>
    public CoapRequest Request { get; }

    /// <summary>Uri-Path and Uri-Query of the registration, e.g. <c>/api/v1/abc/rpc</c>.</summary>
    public string Target { get; }

    /// <summary>The observer identity the resource gave at registration (e.g. the device), or null.</summary>
    public string? Identity { get; }

    /// <summary>Whether the registration was Confirmable; notifications follow that type (RFC 7641 §4.5).</summary>
    public bool Confirmable { get; }

    public DateTimeOffset RegisteredAt { get; }

    /// <summary>The Observe value of the last response or notification sent on this relation.</summary>
    public uint LastSequence { get { lock (Endpoint.Gate) return Sequence; } }

    /// <summary>False once the relation was removed (deregistered, reset, timed out, replaced, evicted).</summary>
    public bool IsActive => !Removed;

    /// <summary>Free slot for the application (e.g. the device this relation belongs to).</summary>
    public object? State { get; set; }

    /// <summary>Ends the relation from the server side (e.g. the device was deleted); the resource is told with <paramref name="reason"/>.</summary>
    public void Cancel(ObserveRemovalReason reason = ObserveRemovalReason.Deregistered) => Endpoint.RemoveRelation(this, reason);

    /// <summary>The relation as registered (path and query included); what may be stored is <see cref="ObservableResource.ToStorable"/>'s.</summary>
    public ObservationSnapshot ToSnapshot() =>
        new(Peer, [.. TokenBytes], Request.Path, Request.Query, Identity, Request.Accept, LastSequence, Confirmable, Request.RestoredState);

    // The request's own ToString: segments bound to {parameters} (credentials) are masked, the query left out.
    public override string ToString() => $"observe {Request} token={Convert.ToHexString(TokenBytes)}";

    // Message-layer state, guarded by the endpoint's gate.
    internal CoapEndpoint Endpoint { get; }
    internal SocketAddress To { get; set; }
    internal byte[] TokenBytes { get; }
    internal RequestKey Key { get; }
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
