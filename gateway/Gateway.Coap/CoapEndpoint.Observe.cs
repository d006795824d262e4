using System.Net;
using Gateway.Coap.Blockwise;
using Gateway.Coap.Codec;
using Gateway.Coap.Messages;
using Gateway.Coap.Observe;
using Gateway.Coap.Reliability;
using Gateway.Coap.Server;
using Gateway.Coap.Transport;

namespace Gateway.Coap;

// Server side of RFC 7641: relations, notifications, their reliability and the caps.
public sealed partial class CoapEndpoint
{
    private readonly ObserveRegistry _observe = new();
    private readonly ObserveEvents _observeEvents;
    private readonly Action<ObserveEvent> _deliverObserveEvent;

    /// <summary>Told of every relation added and removed (not of those dropped by <see cref="Dispose"/>), e.g. to persist them.</summary>
    public IObservationListener? ObservationListener { get; set; }

    internal object Gate => _gate;

    internal DateTimeOffset Now => _time.GetUtcNow();

    /// <summary>Every current relation as its resource lets it be stored (restore with <see cref="RestoreObservationAsync"/>).</summary>
    public IReadOnlyList<ObservationSnapshot> ExportObservations()
    {
        List<ObserveRelation> all;
        lock (_gate) all = [.. _observe.All];
        return [.. all.Select(Storable).OfType<ObservationSnapshot>()];
    }

    private static ObservationSnapshot? Storable(ObserveRelation relation) => relation.Resource.ToStorable(relation, relation.ToSnapshot());

    /// <summary>
    /// RFC 7641 §3.4: a client takes a notification as fresh when its number is above the last one
    /// seen (mod 2^24, within 2^23). The stored number is the one at registration, so a restored
    /// relation continues 2^22 above it: fresh as long as fewer than 2^22 notifications went out since.
    /// </summary>
    internal const uint RestoreSequenceJump = 1u << 22;

    /// <summary>
    /// Re-creates a relation saved before a restart: the registration is replayed through the
    /// handler (so the resource, route values and identity resolve as for a live one) and no response
    /// is sent; the next notification continues <see cref="RestoreSequenceJump"/> above the saved Observe
    /// value. The snapshot's state reaches the resource as <see cref="CoapRequest.RestoredState"/>. Null if the resource
    /// no longer accepts it, or if a live relation of the same token, target or identity exists: it was
    /// admitted after the restart, so it is newer than anything restored.
    /// </summary>
    public async Task<ObserveRelation?> RestoreObservationAsync(ObservationSnapshot snapshot, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        if (_handler is null) return null;
        var options = new List<CoapOption> { CoapOption.FromUInt(CoapOptionNumber.Observe, 0) };
        options.AddRange(snapshot.Path.Select(s => CoapOption.FromString(CoapOptionNumber.UriPath, s)));
        options.AddRange(snapshot.Query.Select(s => CoapOption.FromString(CoapOptionNumber.UriQuery, s)));
        if (snapshot.Accept is { } accept) options.Add(CoapOption.FromUInt(CoapOptionNumber.Accept, (uint)accept));
        var type = snapshot.Confirmable ? CoapMessageType.Confirmable : CoapMessageType.NonConfirmable;
        var request = new CoapRequest(new CoapMessage(type, CoapCode.Get, 0, snapshot.Token, options), snapshot.Peer) { RestoredState = snapshot.State };
        TransferOptions.Scan(request.Options, out request.Transfer);
        var response = await _handler.HandleAsync(request, cancellationToken).ConfigureAwait(false);
        if (request.ObserveTarget is not { } target || !response.Code.IsSuccess) return null;
        var relation = Register(request, target, snapshot.Peer.ToSocketAddress(_transport.AddressFamily), out _,
            (snapshot.LastSequence + RestoreSequenceJump) & ObserveSequence.Mask);
        RegistrationAnswered(request);
        return relation;
    }

    /// <summary>
    /// Admits an accepted registration (RFC 7641 §4.1): returns its relation and, in
    /// <paramref name="sequence"/>, the Observe value of its first response. Same peer and token for
    /// the same target: the existing entry is kept. Otherwise a relation of this peer for the same
    /// target (a new token), or of the same identity from another address (NAT rebinding, a second
    /// socket of the device), is replaced, and the caps evict the least recently active. Admission
    /// happens under the gate, and its order defines "newest": of registrations that race, the one
    /// admitted last is the live one. A restored relation (<paramref name="restoredAfter"/> set) is
    /// admitted only where nothing live exists, else null.
    /// </summary>
    private ObserveRelation? Register(CoapRequest request, ObservableResource resource, SocketAddress to, out uint sequence, uint? restoredAfter = null)
    {
        var message = request.Message;
        var peer = request.Peer;
        string target = ObserveRelation.TargetOf(request);
        string? identity = request.ObserveIdentity;
        bool restoring = restoredAfter is not null;
        long now = _time.GetTimestamp();
        ObserveRelation relation;
        lock (_gate)
        {
            var existing = _observe.Find(peer, message.Token.Span);
            var sameTarget = _observe.FindSameTarget(peer, resource, target);
            var sameIdentity = identity is null ? null : _observe.FindIdentity(resource, identity);
            if (restoring && (existing ?? sameTarget ?? sameIdentity) is not null)
            {
                sequence = 0;
                return null;
            }
            if (existing is not null && existing.Resource == resource && existing.HasTarget(target, ObserveRelation.TargetHash(target)))
            {
                relation = existing;
                relation.Sequence = ObserveSequence.Next(relation.Sequence);
                relation.RefreshOwed |= resource.ChangedSince(request.ObserveChangeMark);
                _observe.Touch(relation, now);
            }
            else
            {
                if (existing is not null) Unregister(existing, ObserveRemovalReason.Replaced);
                if (sameTarget is not null) Unregister(sameTarget, ObserveRemovalReason.Replaced);
                if (sameIdentity is not null) Unregister(sameIdentity, sameIdentity.Peer == peer ? ObserveRemovalReason.Replaced : ObserveRemovalReason.Rebound);
                // RFC 7641 §7: bound the state one registration creates.
                if (_observe.CountOf(peer) >= _options.MaxObserversPerPeer && _observe.OldestOf(peer) is { } oldestOfPeer)
                    Unregister(oldestOfPeer, ObserveRemovalReason.Evicted);
                if (_observe.Count >= _options.MaxObservers && _observe.Oldest is { } oldest) Unregister(oldest, ObserveRemovalReason.Evicted);

                int szx = BlockwiseTransfer.ResponseSzx(request.Transfer.Block2?.Szx, _preferredSzx);
                relation = new ObserveRelation(this, resource, request, to, ObserveRelation.TargetHash(target), identity, szx, restoredAfter ?? 0, now)
                {
                    Answered = restoring, // a restored relation's first response went out before the restart
                    RefreshOwed = resource.ChangedSince(request.ObserveChangeMark),
                };
                _observe.Add(relation, now);
                Interlocked.Increment(ref Statistics._observers);
                Interlocked.Increment(ref Statistics._observersAdded);
                _observeEvents.Enqueue(new ObserveEvent(relation, null));
            }
            sequence = relation.Sequence;
            request.ObserveRelation = relation;
        }
        DeliverObserveEvents();
        return relation;
    }

    /// <summary>
    /// The registration's first response has been sent (or, restored, was sent before the restart):
    /// a replacement that came first now sends this relation its final response, after the first,
    /// and a state change that raced the registration is sent as a fresh notification.
    /// </summary>
    private void RegistrationAnswered(CoapRequest request)
    {
        if (request.ObserveRelation is not { } relation) return;
        // "Answered" lets other threads send this relation its notifications and its final response; the first
        // response may still wait in this receive thread's batch, and must not be overtaken by them.
        _batching?.SendQueued();
        bool notice, refresh;
        lock (_gate)
        {
            relation.Answered = true;
            notice = relation.NoticeOwed;
            refresh = relation.RefreshOwed && !relation.Removed;
            relation.NoticeOwed = relation.RefreshOwed = false;
        }
        if (notice) SendReplacedNotice(relation);
        if (refresh) _ = NotifyComposedAsync(relation, relation.Resource);
    }

    /// <summary>
    /// Takes a relation out of the registry and queues its removal event. Under the gate. A relation
    /// replaced by the same identity from another address is owed its final response (RFC 7641 §3.2):
    /// sent with the event if its first response is out, else right after that (<see cref="RegistrationAnswered"/>).
    /// </summary>
    private bool Unregister(ObserveRelation relation, ObserveRemovalReason reason)
    {
        if (!_observe.Remove(relation)) return false;
        Interlocked.Decrement(ref Statistics._observers);
        Interlocked.Increment(ref Statistics._observersRemoved);
        if (reason == ObserveRemovalReason.Evicted) Interlocked.Increment(ref Statistics._observersEvicted);
        bool notice = false;
        if (reason == ObserveRemovalReason.Rebound)
        {
            Interlocked.Increment(ref Statistics._observersReplaced);
            notice = relation.Answered;
            relation.NoticeOwed = !relation.Answered;
        }
        _observeEvents.Enqueue(new ObserveEvent(relation, reason, notice));
        return true;
    }

    internal void RemoveRelation(ObserveRelation relation, ObserveRemovalReason reason)
    {
        lock (_gate)
        {
            if (!Unregister(relation, reason)) return;
        }
        DeliverObserveEvents();
    }

    private void RemoveRelation(PeerAddress peer, ReadOnlySpan<byte> token, ObserveRemovalReason reason)
    {
        lock (_gate)
        {
            if (_observe.Find(peer, token) is not { } relation || !Unregister(relation, reason)) return;
        }
        DeliverObserveEvents();
    }

    /// <summary>An RST matching the last NON notification of a relation cancels it (RFC 7641 §3.6).</summary>
    private bool ResetNonNotification(PeerAddress peer, ushort messageId)
    {
        lock (_gate)
        {
            if (_observe.FindByNonMessageId(peer, messageId) is not { } relation || !Unregister(relation, ObserveRemovalReason.Reset)) return false;
        }
        DeliverObserveEvents();
        return true;
    }

    private void DeliverObserveEvents() => _observeEvents.Deliver(_deliverObserveEvent);

    /// <summary>Outside the gate, in registry order: tell the resource and the listener; stop a removed relation's pending notification.</summary>
    private void DeliverObserveEvent(ObserveEvent change)
    {
        var relation = change.Relation;
        try
        {
            if (change.Removal is not { } reason)
            {
                relation.Resource.OnRelationAdded(relation);
                if (ObservationListener is { } added && Storable(relation) is { } storable) added.OnObservationAdded(storable);
                return;
            }
            TaskCompletionSource<NotificationOutcome>? inFlight;
            ushort messageId;
            lock (_gate)
            {
                inFlight = relation.InFlight;
                messageId = relation.InFlightMessageId;
                relation.InFlight = null;
            }
            if (inFlight is not null)
            {
                _confirmables.Complete(relation.Peer, messageId, ConfirmableOutcome.Cancelled);
                inFlight.TrySetResult(NotificationOutcome.RelationGone);
            }
            if (change.Notice) SendReplacedNotice(relation);
            Log.RelationRemoved(_logger, relation.ToString(), reason);
            relation.Resource.OnRelationRemoved(relation, reason);
            if (reason != ObserveRemovalReason.EndpointStopped && ObservationListener is { } listener && Storable(relation) is { } removed)
                listener.OnObservationRemoved(removed, reason);
        }
        catch (Exception e)
        {
            Log.ObserveCallbackFailed(_logger, e, relation.ToString());
        }
    }

    /// <summary>
    /// The final response of a replaced relation: the resource's notice (2.02 by default) without an
    /// Observe option, so the observer knows it left the list (RFC 7641 §3.2). Non-confirmable, a
    /// separate response of its own (RFC 7252 §5.2.2): the old socket is usually gone, and a CON would
    /// only retransmit into the void for EXCHANGE_LIFETIME.
    /// </summary>
    private void SendReplacedNotice(ObserveRelation relation)
    {
        var notice = relation.Resource.ComposeReplacedNotice(relation);
        var options = notice.Options.Any(o => o.Number == CoapOptionNumber.Observe)
            ? [.. notice.Options.Where(o => o.Number != CoapOptionNumber.Observe)]
            : notice.Options;
        var bytes = CoapCodec.Encode(new CoapMessage(CoapMessageType.NonConfirmable, notice.Code, _messageIds.Next(), relation.TokenBytes, options, notice.Payload));
        _transport.Send(bytes, relation.To);
        Log.ObserverReplaced(_logger, relation.ToString(), notice.Code.ToString());
    }

    internal Task<NotificationOutcome> NotifyComposedAsync(ObserveRelation relation, ObservableResource resource)
    {
        ValueTask<CoapResponse?> pending;
        try
        {
            pending = resource.Compose(relation, _stopping.Token);
        }
        catch (Exception e)
        {
            return Task.FromResult(ComposeFailed(e, relation));
        }
        if (pending.IsCompletedSuccessfully)
            return pending.Result is { } response ? NotifyAsync(relation, response) : Task.FromResult(NotificationOutcome.Skipped);
        return AwaitComposedAsync(relation, pending);
    }

    private async Task<NotificationOutcome> AwaitComposedAsync(ObserveRelation relation, ValueTask<CoapResponse?> pending)
    {
        CoapResponse? response;
        try
        {
            response = await pending.ConfigureAwait(false);
        }
        catch (Exception e)
        {
            return ComposeFailed(e, relation);
        }
        return response is null ? NotificationOutcome.Skipped : await NotifyAsync(relation, response).ConfigureAwait(false);
    }

    private NotificationOutcome ComposeFailed(Exception e, ObserveRelation relation)
    {
        Interlocked.Increment(ref Statistics._handlerErrors);
        Log.ObserveCallbackFailed(_logger, e, relation.ToString());
        return NotificationOutcome.Skipped;
    }

    /// <summary>
    /// Sends one notification (RFC 7641 §4.2–§4.5): next sequence number, the registration's type
    /// unless a CON is due (every <see cref="CoapEndpointOptions.ObserveConfirmableEvery"/> or after
    /// <see cref="CoapEndpointOptions.ObserveConfirmableInterval"/>, §4.5) or one is still in flight
    /// (then the new one replaces it, §4.5.2), the first block only if large (RFC 7959 §2.6).
    /// A non-2.xx notification carries no Observe and ends the relation (§4.2).
    /// </summary>
    internal Task<NotificationOutcome> NotifyAsync(ObserveRelation relation, CoapResponse response)
    {
        if (_disposed != 0) return Task.FromResult(NotificationOutcome.RelationGone);
        bool error = !response.Code.IsSuccess;
        TaskCompletionSource<NotificationOutcome>? completion = null, superseded = null;
        byte[] bytes;
        ushort messageId;
        bool confirmable, replaced = false;
        lock (_gate)
        {
            if (relation.Removed) return Task.FromResult(NotificationOutcome.RelationGone);
            long now = _time.GetTimestamp();
            confirmable = relation.Confirmable || relation.InFlight is not null
                || relation.SinceConfirmable + 1 >= _options.ObserveConfirmableEvery
                || now - relation.LastConfirmable >= _confirmableInterval;
            if (!error) relation.Sequence = ObserveSequence.Next(relation.Sequence);
            messageId = _messageIds.Next();
            var shaped = error ? response : ShapeNotification(relation, response, now);
            if (!confirmable) confirmable = !WithinProbingRate(relation, CoapCodec.GetEncodedLength(relation.TokenBytes.Length, shaped.Options, shaped.Payload.Length), now);
            var type = confirmable ? CoapMessageType.Confirmable : CoapMessageType.NonConfirmable;
            bytes = CoapCodec.Encode(new CoapMessage(type, shaped.Code, messageId, relation.TokenBytes, shaped.Options, shaped.Payload));
            if (confirmable)
            {
                relation.SinceConfirmable = 0;
                relation.LastConfirmable = now;
                completion = new TaskCompletionSource<NotificationOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
                if (!error)
                {
                    if (relation.InFlight is { } old
                        && _confirmables.Replace(relation.Peer, relation.InFlightMessageId, bytes, messageId, NotificationCallback(relation, completion)))
                    {
                        superseded = old;
                        replaced = true;
                    }
                    relation.InFlight = completion;
                    relation.InFlightMessageId = messageId;
                }
            }
            else
            {
                relation.SinceConfirmable++;
                relation.LastNonMessageId = messageId;
                relation.HasNonMessageId = true;
            }
        }
        Interlocked.Increment(ref Statistics._notifications);
        if (superseded is not null)
        {
            Interlocked.Increment(ref Statistics._notificationsSuperseded);
            superseded.TrySetResult(NotificationOutcome.Superseded);
        }
        if (confirmable)
        {
            Interlocked.Increment(ref Statistics._confirmableNotifications);
            if (!replaced) _confirmables.Send(bytes, relation.Peer, relation.To, messageId, NotificationCallback(relation, completion!));
        }
        else
        {
            _transport.Send(bytes, relation.To);
        }
        if (error) RemoveRelation(relation, ObserveRemovalReason.ErrorNotification);
        return completion?.Task ?? Task.FromResult(NotificationOutcome.Sent);
    }

    /// <summary>
    /// RFC 7252 §4.7: to a peer not heard from since (a registration, or an ACK of any of its relations:
    /// <see cref="ObserverPeer.LastHeard"/>), NON notifications of all its relations together average at most
    /// PROBING_RATE bytes/s, with one datagram of burst. False means send this one Confirmable instead: it asks for an
    /// answer and is paced by NSTART and §4.2's back-off. Counts the bytes when true. Under the gate.
    /// </summary>
    private bool WithinProbingRate(ObserveRelation relation, int length, long now)
    {
        if (relation.Observer is not { } peer) return true; // removed: nothing is sent
        double seconds = (double)(now - peer.LastHeard) / _time.TimestampFrequency;
        if (peer.NonBytes + length > _options.ProbingRate * seconds + _options.MaxMessageSize) return false;
        peer.NonBytes += length;
        return true;
    }

    private Action<ConfirmableOutcome> NotificationCallback(ObserveRelation relation, TaskCompletionSource<NotificationOutcome> completion) => outcome =>
    {
        lock (_gate)
        {
            if (relation.InFlight == completion) relation.InFlight = null;
            if (outcome == ConfirmableOutcome.Acknowledged && !relation.Removed) _observe.Touch(relation, _time.GetTimestamp());
        }
        switch (outcome)
        {
            case ConfirmableOutcome.Acknowledged:
                completion.TrySetResult(NotificationOutcome.Acknowledged);
                break;
            case ConfirmableOutcome.Reset:
                // RFC 7641 §3.6 / §4.5: RST to a notification, or no ACK at all, ends the relation.
                completion.TrySetResult(NotificationOutcome.Reset);
                RemoveRelation(relation, ObserveRemovalReason.Reset);
                break;
            case ConfirmableOutcome.TimedOut:
                completion.TrySetResult(NotificationOutcome.TimedOut);
                RemoveRelation(relation, ObserveRemovalReason.TimedOut);
                break;
            default:
                completion.TrySetResult(NotificationOutcome.RelationGone);
                break;
        }
    };

    /// <summary>Adds Observe (and Max-Age) to a 2.xx notification; a large one becomes its first Block2 block (RFC 7959 §2.6). Under the gate.</summary>
    private CoapResponse ShapeNotification(ObserveRelation relation, CoapResponse response, long now)
    {
        var extra = new List<CoapOption>(2) { CoapOption.FromUInt(CoapOptionNumber.Observe, relation.Sequence) };
        if (relation.Resource.NotificationMaxAge is { } maxAge && response.MaxAge is null)
            extra.Add(CoapOption.FromUInt(CoapOptionNumber.MaxAge, maxAge));
        if (response.Payload.Length > 1 << (relation.Szx + 4))
        {
            var body = new CachedBody(new CoapResponse(response.Code, response.Payload.ToArray(), response.Options), BlockwiseTransfer.ETagFor(response));
            _block2.Put(relation.Peer, relation.Key, body, now, _exchangeLifetime);
            Interlocked.Increment(ref Statistics._block2Transfers);
            BlockwiseTransfer.TrySlice(body, 0, relation.Szx, relation.Szx, includeSize2: true, out response);
        }
        return new CoapResponse(response.Code, response.Payload, [.. response.Options, .. extra]);
    }

    private void StopObserving()
    {
        lock (_gate)
        {
            foreach (var relation in _observe.All.ToList()) Unregister(relation, ObserveRemovalReason.EndpointStopped);
        }
        DeliverObserveEvents();
    }
}
