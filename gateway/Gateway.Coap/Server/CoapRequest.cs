using System.Net;
using Gateway.Coap.Blockwise;
using Gateway.Coap.Messages;
using Gateway.Coap.Observe;
using Gateway.Coap.Transport;

namespace Gateway.Coap.Server;

/// <summary>
/// A request as the application sees it: method, path, query, formats, payload and peer. No
/// Message IDs, types or retransmissions (those stay in the endpoint).
/// <para>The request, its payload and its option values are valid until the handler's task
/// completes: the endpoint reuses the object and its receive buffer for the next datagram when a
/// handler finishes synchronously (Kestrel's rule for its pooled HttpContext and request body).
/// Copy anything kept longer.</para>
/// </summary>
public sealed class CoapRequest
{
    private IReadOnlyList<string>? _path, _query;
    private Dictionary<string, string>? _routeValues;

    internal CoapRequest(CoapMessage message, PeerAddress peer)
    {
        Message = message;
        Peer = peer;
    }

    /// <summary>Makes this (receive-thread owned) request the next one: everything derived from the last is forgotten.</summary>
    internal void Reset(CoapMessage message, PeerAddress peer)
    {
        Message = message;
        Peer = peer;
        _path = _query = null;
        _exchangeKey = null;
        _routeValues?.Clear();
        RouteValues = NoRouteValues;
        Transfer = default;
        Key = null;
        ObserveTarget = null;
        ObserveIdentity = null;
        ObserveRelation = null;
        ObserveChangeMark = 0;
        RestoredState = null;
        SessionIdentity = null;
    }

    /// <summary>For tests and for code that builds a request without an endpoint.</summary>
    public static CoapRequest Create(CoapCode method, PeerAddress peer, IReadOnlyList<CoapOption> options, ReadOnlyMemory<byte> payload = default) =>
        new(new CoapMessage(CoapMessageType.Confirmable, method, 0, default, options, payload), peer);

    internal CoapMessage Message { get; private set; }

    public CoapCode Method => Message.Code;

    public PeerAddress Peer { get; private set; }

    public IPEndPoint PeerEndPoint => Peer.ToIPEndPoint();

    public IReadOnlyList<CoapOption> Options => Message.Options;

    public ReadOnlyMemory<byte> Payload => Message.Payload;

    /// <summary>Uri-Path segments (§6.5): each option is one segment, in order.</summary>
    public IReadOnlyList<string> Path => _path ??= [.. Message.GetStringOptions(CoapOptionNumber.UriPath)];

    /// <summary>Uri-Query arguments, one per option (§6.5), e.g. <c>rt=temp</c>.</summary>
    public IReadOnlyList<string> Query => _query ??= Message.HasOption(CoapOptionNumber.UriQuery) ? [.. Message.GetStringOptions(CoapOptionNumber.UriQuery)] : [];

    public int? ContentFormat => (int?)Message.GetUIntOption(CoapOptionNumber.ContentFormat);

    public int? Accept => (int?)Message.GetUIntOption(CoapOptionNumber.Accept);

    /// <summary>The Observe option (RFC 7641 §2): 0 registers, 1 deregisters; null when absent.</summary>
    public uint? Observe => Message.GetUIntOption(CoapOptionNumber.Observe);

    /// <summary>A GET or FETCH with Observe=0 (RFC 7641 §3.1; RFC 8132 §2.4 for FETCH).</summary>
    public bool IsObserveRegistration => Method.IsSafe && Observe == 0;

    /// <summary>
    /// Answer this registration as a plain request: the response carries no Observe option and no
    /// relation is created (RFC 7641 §4.1 lets a server decline, e.g. for an unauthorised observer).
    /// </summary>
    public void DeclineObserve() => ObserveTarget = null;

    /// <summary>
    /// Non-null only on a registration replayed by <see cref="CoapEndpoint.RestoreObservationAsync"/>
    /// (never on one from the network): the <see cref="Observe.ObservationSnapshot.State"/> the resource
    /// stored instead of what it left out, e.g. the device whose credential was in the path.
    /// </summary>
    public string? RestoredState { get; internal set; }

    /// <summary>
    /// Who the transport authenticated the peer as (DTLS with a pre-shared key or a mapped client
    /// certificate: the device name), or null (plain UDP, one-way DTLS). Set by the endpoint from the
    /// transport's session (<see cref="ISessionIdentityProvider"/>), never from the message.
    /// </summary>
    public string? SessionIdentity { get; internal set; }

    /// <summary>For tests of resources: a request as if it arrived on a session authenticated as <paramref name="identity"/>.</summary>
    public CoapRequest WithSessionIdentity(string? identity)
    {
        SessionIdentity = identity;
        return this;
    }

    // Set by the endpoint (transfer options, request key) and by an observable resource accepting a registration.
    internal TransferOptions Transfer;
    internal RequestKey? Key;
    internal ObservableResource? ObserveTarget;
    internal string? ObserveIdentity;
    // The relation the endpoint admitted for this registration, and the resource's change count when its handler started.
    internal Observe.ObserveRelation? ObserveRelation;
    internal long ObserveChangeMark;

    /// <summary>
    /// Identifies this request among retransmissions: equal for every copy of one request from one
    /// peer (same Message ID, RFC 7252 §4.5) and different for any other request within
    /// EXCHANGE_LIFETIME. A handler that commits data stores it with the data (durable
    /// deduplication across restarts) without seeing Message IDs itself.
    /// </summary>
    public string ExchangeKey => _exchangeKey ??= $"{Peer}#{Message.MessageId}";

    /// <summary>The request's Message ID (RFC 7252 §3), for a store that keeps a peer's records by ID rather than by <see cref="ExchangeKey"/>.</summary>
    public ushort MessageId => Message.MessageId;

    private string? _exchangeKey;

    /// <summary>Values bound by <c>{name}</c> segments of the matched resource path.</summary>
    public IReadOnlyDictionary<string, string> RouteValues { get; private set; } = NoRouteValues;

    /// <summary>Binds a <c>{name}</c> segment (the dictionary is kept across reuses of this request).</summary>
    internal void SetRouteValue(string name, string value)
    {
        _routeValues ??= new(StringComparer.Ordinal);
        _routeValues[name] = value;
        RouteValues = _routeValues;
    }

    private static readonly Dictionary<string, string> NoRouteValues = [];

    /// <summary>The value of the first query argument <c>name=value</c>, or null.</summary>
    public string? GetQueryValue(string name)
    {
        foreach (var argument in Query)
        {
            if (argument.Length > name.Length && argument[name.Length] == '=' && argument.StartsWith(name, StringComparison.Ordinal))
                return argument[(name.Length + 1)..];
            if (argument == name) return "";
        }
        return null;
    }

    /// <summary>
    /// For logs: segments bound to a <c>{parameter}</c> are shown as <c>{parameter}</c>, because such
    /// segments carry credentials (ThingsBoard's <c>/api/v1/{token}/…</c>); the query is left out for
    /// the same reason (Exosite's CIK).
    /// </summary>
    public override string ToString()
    {
        var segments = Path.Select(segment =>
            RouteValues.FirstOrDefault(v => v.Value == segment) is { Key: { } name } ? $"{{{name}}}" : segment);
        return $"{Method} /{string.Join('/', segments)} from {Peer}";
    }
}
