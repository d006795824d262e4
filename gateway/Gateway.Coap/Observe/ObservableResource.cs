using Gateway.Coap.Server;

namespace Gateway.Coap.Observe;

/// <summary>
/// A resource clients can observe (RFC 7641). The endpoint does the protocol: registration and
/// deregistration, Observe sequence numbers, CON/NON choice and the periodic CON liveness check,
/// retransmission, replacing an unacknowledged notification by a newer one, block-wise transfer
/// of large notifications, caps and eviction. The resource only says what to send.
/// <para>
/// A GET (or FETCH) with Observe=0 is answered by <see cref="RegisterAsync"/> (default: the normal
/// GET). A 2.xx answer creates the relation and carries Observe; any other code creates none
/// (RFC 7641 §4.1). Each notification is composed per observer by <see cref="ComposeNotificationAsync"/>
/// (default: the normal GET for the registration request) when the resource calls
/// <see cref="NotifyObservers()"/>, or given explicitly to one relation with <see cref="NotifyAsync(ObserveRelation, CoapResponse)"/>.
/// </para>
/// <example>
/// ThingsBoard-style RPC and attribute resources:
/// <code>
/// sealed class RpcResource() : ObservableResource("rpc")
/// {
///     // One relation per device, whatever address it registers from (NAT rebinding replaces the old one).
///     protected override string? GetObserverIdentity(CoapRequest request) => request.RouteValues["token"];
///
///     // First response: 2.03 Valid, no payload, Observe=0.
///     protected override ValueTask&lt;CoapResponse&gt; RegisterAsync(CoapRequest request, CancellationToken ct) =&gt;
///         new(CoapResponse.Empty(CoapCode.Valid));
///
///     // An RPC from the cloud goes to one device; the outcome says whether the device ACKed it.
///     public Task&lt;NotificationOutcome&gt; SendRpcAsync(string token, byte[] json) =&gt;
///         FindRelation(token) is { } relation
///             ? NotifyAsync(relation, CoapResponse.WithFormat(CoapCode.Content, json, CoapContentFormat.Json))
///             : Task.FromResult(NotificationOutcome.RelationGone);
///
///     protected override void OnRelationRemoved(ObserveRelation relation, ObserveRemovalReason reason) { /* fail or re-queue pending RPCs */ }
/// }
///
/// sealed class AttributesResource() : ObservableResource("attributes")
/// {
///     // First response and every notification: 2.05 with the device's current shared attributes.
///     protected override ValueTask&lt;CoapResponse&gt; GetAsync(CoapRequest request, CancellationToken ct) =&gt;
///         new(CoapResponse.WithFormat(CoapCode.Content, LoadJson(request.RouteValues["token"]), CoapContentFormat.Json));
/// }
/// // when attributes of a device change: attributes.NotifyObservers(r =&gt; r.Identity == token);
/// </code>
/// </example>
/// </summary>
public abstract class ObservableResource : CoapResource
{
    // A read-only view for other threads. The one owner of the relations is the endpoint's registry:
    // it changes these only under its gate, in the order it admitted registrations (Attach/Detach), so
    // this view never holds a relation the registry has already replaced.
    private readonly object _relationsGate = new();
    private readonly List<ObserveRelation> _relations = [];
    private readonly Dictionary<string, ObserveRelation> _byIdentity = new(StringComparer.Ordinal);
    private long _changes;
    // The route bindings of the last relation: the relations of one resource usually bind the same names to the same
    // segments ({token} the third, {feature} the fourth), so they share one array instead of one each.
    private RouteBinding[] _lastRoutes = [];

    protected ObservableResource(string name) : base(name) => Attributes.Observable = true;

    /// <summary>
    /// Max-Age (seconds) put on the first response and on notifications that set none themselves
    /// (RFC 7641 §4.3.1: freshness of the notification; RFC 7252 §5.10.5 would imply 60 s). Null: add nothing.
    /// </summary>
    public uint? NotificationMaxAge { get; set; }

    /// <summary>The current relations (a snapshot).</summary>
    public IReadOnlyList<ObserveRelation> Relations { get { lock (_relationsGate) return [.. _relations]; } }

    public int ObserverCount { get { lock (_relationsGate) return _relations.Count; } }

    /// <summary>The relation registered with this observer identity (see <see cref="GetObserverIdentity"/>), or null.</summary>
    public ObserveRelation? FindRelation(string identity)
    {
        lock (_relationsGate) return _byIdentity.GetValueOrDefault(identity);
    }

    public override ValueTask<CoapResponse> HandleAsync(CoapRequest request, CancellationToken cancellationToken)
    {
        if (!request.IsObserveRegistration) return base.HandleAsync(request, cancellationToken);
        // Before the handler reads the state its first response carries: a change after this mark
        // may be missing from that response, and the endpoint then sends the new relation a fresh
        // notification (RFC 7641 §1.2: eventual consistency with the resource state).
        request.ObserveChangeMark = Interlocked.Read(ref _changes);
        request.ObserveTarget = this;
        request.ObserveIdentity = GetObserverIdentity(request);
        return RegisterAsync(request, cancellationToken);
    }

    /// <summary>
    /// Who the observer is beyond its address. Non-null means: a registration of this resource with the
    /// same identity replaces the old relation, from another address too (a device behind a NAT whose
    /// port changed; a relation restored after a restart), instead of leaving an orphan. Include in it
    /// whatever must tell two relations of one observer apart. Null (default): the peer address is the identity.
    /// </summary>
    protected virtual string? GetObserverIdentity(CoapRequest request) => null;

    /// <summary>The first response to a registration (GET/FETCH with Observe=0). 2.xx registers; other codes do not.</summary>
    protected virtual ValueTask<CoapResponse> RegisterAsync(CoapRequest request, CancellationToken cancellationToken) =>
        base.HandleAsync(request, cancellationToken);

    /// <summary>
    /// The notification for one observer when the state changed; null sends nothing to it. Default:
    /// what a GET with the registration request returns now.
    /// </summary>
    protected virtual ValueTask<CoapResponse?> ComposeNotificationAsync(ObserveRelation relation, CancellationToken cancellationToken)
    {
        var pending = base.HandleAsync(relation.CreateRequest(), cancellationToken);
        return pending.IsCompletedSuccessfully ? new(pending.Result) : AwaitComposed(pending);

        static async ValueTask<CoapResponse?> AwaitComposed(ValueTask<CoapResponse> pending) => await pending.ConfigureAwait(false);
    }

    /// <summary>"My state changed": every observer gets a notification composed for it.</summary>
    public void NotifyObservers() => NotifyObservers(static _ => true);

    /// <summary>Notifies the observers <paramref name="filter"/> selects (e.g. the relations of one device).</summary>
    public void NotifyObservers(Func<ObserveRelation, bool> filter)
    {
        MarkChanged();
        foreach (var relation in Relations)
        {
            if (filter(relation)) _ = NotifyAsync(relation);
        }
    }

    /// <summary>Sends the same response to every observer.</summary>
    public void NotifyObservers(CoapResponse response)
    {
        MarkChanged();
        foreach (var relation in Relations) _ = NotifyAsync(relation, response);
    }

    /// <summary>Composes and sends a notification for one relation.</summary>
    public Task<NotificationOutcome> NotifyAsync(ObserveRelation relation)
    {
        ArgumentNullException.ThrowIfNull(relation);
        if (relation.Resource != this) throw new ArgumentException("The relation belongs to another resource.", nameof(relation));
        return relation.Endpoint.NotifyComposedAsync(relation, this);
    }

    /// <summary>
    /// Sends <paramref name="response"/> to one relation (e.g. an RPC to one device). Completes when
    /// a CON notification is ACKed, a NON is sent, or the notification failed or was superseded.
    /// </summary>
    public Task<NotificationOutcome> NotifyAsync(ObserveRelation relation, CoapResponse response)
    {
        ArgumentNullException.ThrowIfNull(relation);
        ArgumentNullException.ThrowIfNull(response);
        if (relation.Resource != this) throw new ArgumentException("The relation belongs to another resource.", nameof(relation));
        return relation.Endpoint.NotifyAsync(relation, response);
    }

    /// <summary>
    /// A state change for one observer identity (e.g. a device's attributes): <paramref name="compose"/>
    /// builds the notification for the identity's current relation. If that relation is replaced by a
    /// newer registration before the notification leaves, the notification follows the newer relation;
    /// a registration admitted while the change was under way gets a fresh composed notification
    /// instead (see <see cref="ComposeNotificationAsync"/>). Call after the new state is readable.
    /// </summary>
    public async Task<NotificationOutcome> NotifyIdentityAsync(string identity, Func<ObserveRelation, CoapResponse> compose)
    {
        ArgumentNullException.ThrowIfNull(identity);
        ArgumentNullException.ThrowIfNull(compose);
        MarkChanged();
        ObserveRelation? tried = null;
        while (FindRelation(identity) is { } relation && relation != tried)
        {
            var outcome = await NotifyAsync(relation, compose(relation)).ConfigureAwait(false);
            if (outcome != NotificationOutcome.RelationGone) return outcome;
            tried = relation;
        }
        return NotificationOutcome.RelationGone;
    }

    /// <summary>
    /// The final response a relation gets when a registration of the same observer identity from
    /// another address replaces it: no Observe option, so the observer knows it is no longer on the
    /// list (RFC 7641 §3.2, §4.2). Default: 2.02 Deleted without payload, ThingsBoard's answer to a
    /// replaced observation (thingsboard.md §2.5).
    /// </summary>
    protected internal virtual CoapResponse ComposeReplacedNotice(ObserveRelation relation) => ReplacedNotice;

    private static readonly CoapResponse ReplacedNotice = CoapResponse.Empty(Messages.CoapCode.Deleted);

    /// <summary>
    /// What of a relation may be stored to restore it after a restart: the listener
    /// (<see cref="CoapEndpoint.ObservationListener"/>) and <see cref="CoapEndpoint.ExportObservations"/>
    /// see this, never the raw registration. Default: the registration as it was. A resource whose path
    /// or query carries a credential returns a copy without it, with a <see cref="ObservationSnapshot.State"/>
    /// to restore from (it comes back as <see cref="CoapRequest.RestoredState"/>), or null to keep the
    /// relation out of storage.
    /// </summary>
    protected internal virtual ObservationSnapshot? ToStorable(ObserveRelation relation, ObservationSnapshot snapshot) => snapshot;

    /// <summary>
    /// Sets the observer identity once the registration is authenticated (an identity known only after
    /// a lookup, e.g. the device rather than the credential). Call from <see cref="RegisterAsync"/>.
    /// </summary>
    protected static void SetObserverIdentity(CoapRequest request, string? identity)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.ObserveIdentity = identity;
    }

    /// <summary>A relation was established (the first response is on its way).</summary>
    protected internal virtual void OnRelationAdded(ObserveRelation relation)
    {
    }

    /// <summary>A relation ended; e.g. fail or re-queue an RPC that was waiting for it.</summary>
    protected internal virtual void OnRelationRemoved(ObserveRelation relation, ObserveRemovalReason reason)
    {
    }

    internal ValueTask<CoapResponse?> Compose(ObserveRelation relation, CancellationToken cancellationToken) =>
        ComposeNotificationAsync(relation, cancellationToken);

    /// <summary>The state changed: a registration whose handler started before now may have answered the old state.</summary>
    private void MarkChanged() => Interlocked.Increment(ref _changes);

    internal bool ChangedSince(long mark) => Interlocked.Read(ref _changes) != mark;

    /// <summary><paramref name="routes"/>, or an equal array an earlier relation of this resource already keeps.</summary>
    internal RouteBinding[] ShareRoutes(RouteBinding[] routes)
    {
        lock (_relationsGate)
        {
            if (routes.AsSpan().SequenceEqual(_lastRoutes)) return _lastRoutes;
            return _lastRoutes = routes;
        }
    }

    // Only the endpoint's registry calls these, under the endpoint's gate.
    internal void Attach(ObserveRelation relation)
    {
        lock (_relationsGate)
        {
            _relations.Add(relation);
            if (relation.Identity is { } identity) _byIdentity[identity] = relation;
        }
    }

    internal void Detach(ObserveRelation relation)
    {
        lock (_relationsGate)
        {
            _relations.Remove(relation);
            if (relation.Identity is { } identity && _byIdentity.GetValueOrDefault(identity) == relation) _byIdentity.Remove(identity);
        }
    }
}
