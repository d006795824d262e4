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
    /// no longer accepts it.
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
        return Register(request, target, snapshot.Peer.ToSocketAddress(_transport.AddressFamily),
            (snapshot.LastSequence + RestoreSequenceJump) & ObserveSequence.Mask);
    }

    /// <summary>
    /// Adds or updates the relation for an accepted registration (RFC 7641 §4.1) and returns it.
    /// Same peer and token for the same target: the existing entry is kept. Otherwise a relation of
    /// this peer for the same target (a new token), or of the same identity from another address
    /// (NAT rebinding), is replaced, and the caps evict the least recently active.
    /// </summary>
    private ObserveRelation Register(CoapRequest request, ObservableResource resource, SocketAddress to, uint? continueAfter = null)
    {
        var message = request.Message;
        var peer = request.Peer;
        string target = TargetOf(request);
        string? identity = request.ObserveIdentity;
        var removed = new List<(ObserveRelation Relation, ObserveRemovalReason Reason)>();
        ObserveRelation relation;
        bool added = false;
        long now = _time.GetTimestamp();
        lock (_gate)
        {
            var existing = _observe.Find(peer, message.Token.Span);
            if (existing is not null && existing.Resource == resource && existing.Target == target)
            {
                relation = existing;
                relation.Sequence = ObserveSequence.Next(relation.Sequence);
                _observe.Touch(relation, now);
            }
            else
            {
                if (existing is not null) Drop(existing, ObserveRemovalReason.Replaced);
                if (_observe.FindSameTarget(peer, resource, target) is { } sameTarget) Drop(sameTarget, ObserveRemovalReason.Replaced);
                if (identity is not null && _observe.FindIdentity(resource, identity) is { } moved)
                    Drop(moved, moved.Peer == peer ? ObserveRemovalReason.Replaced : ObserveRemovalReason.Rebound);
                // RFC 7641 §7: bound the state one registration creates.
                if (_observe.CountOf(peer) >= _options.MaxObserversPerPeer && _observe.OldestOf(peer) is { } oldestOfPeer)
                    Drop(oldestOfPeer, ObserveRemovalReason.Evicted);
                if (_observe.Count >= _options.MaxObservers && _observe.Oldest is { } oldest) Drop(oldest, ObserveRemovalReason.Evicted);

                int szx = BlockwiseTransfer.ResponseSzx(request.Transfer.Block2?.Szx, _preferredSzx);
                relation = new ObserveRelation(this, resource, OwnedCopy(request), to, message.Token.ToArray(), target, identity,
                    message.Type == CoapMessageType.Confirmable, request.Key ?? RequestKey.From(message.Code, message.Options), szx,
                    continueAfter ?? 0, now);
                _observe.Add(relation);
                added = true;
            }
        }
        foreach (var (old, reason) in removed) AfterRemoval(old, reason);
        if (added)
        {
            Interlocked.Increment(ref Statistics._observers);
            Interlocked.Increment(ref Statistics._observersAdded);
            resource.Attach(relation);
            try
            {
                resource.OnRelationAdded(relation);
                if (ObservationListener is { } listener && Storable(relation) is { } storable) listener.OnObservationAdded(storable);
            }
            catch (Exception e)
            {
                Log.ObserveCallbackFailed(_logger, e, relation.ToString());
            }
        }
        return relation;

        void Drop(ObserveRelation old, ObserveRemovalReason reason)
        {
            if (_observe.Remove(old)) removed.Add((old, reason));
        }
    }

    internal void RemoveRelation(ObserveRelation relation, ObserveRemovalReason reason)
    {
        lock (_gate)
        {
            if (!_observe.Remove(relation)) return;
        }
        AfterRemoval(relation, reason);
    }

    private void RemoveRelation(PeerAddress peer, ReadOnlySpan<byte> token, ObserveRemovalReason reason)
    {
        ObserveRelation? relation;
        lock (_gate)
        {
            relation = _observe.Find(peer, token);
            if (relation is null || !_observe.Remove(relation)) return;
        }
        AfterRemoval(relation, reason);
    }

    /// <summary>Outside the gate: stop a pending notification, tell the resource and the listener.</summary>
    private void AfterRemoval(ObserveRelation relation, ObserveRemovalReason reason)
    {
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
        Interlocked.Decrement(ref Statistics._observers);
        Interlocked.Increment(ref Statistics._observersRemoved);
        if (reason == ObserveRemovalReason.Evicted) Interlocked.Increment(ref Statistics._observersEvicted);
        Log.RelationRemoved(_logger, relation.ToString(), reason);
        relation.Resource.Detach(relation);
        try
        {
            relation.Resource.OnRelationRemoved(relation, reason);
            if (reason != ObserveRemovalReason.EndpointStopped && ObservationListener is { } listener && Storable(relation) is { } storable)
                listener.OnObservationRemoved(storable, reason);
        }
        catch (Exception e)
        {
            Log.ObserveCallbackFailed(_logger, e, relation.ToString());
        }
    }

    /// <summary>An RST matching the last NON notification of a relation cancels it (RFC 7641 §3.6).</summary>
    private bool ResetNonNotification(PeerAddress peer, ushort messageId)
    {
        ObserveRelation? relation;
        lock (_gate)
        {
            relation = _observe.FindByNonMessageId(peer, messageId);
            if (relation is null || !_observe.Remove(relation)) return false;
        }
        AfterRemoval(relation, ObserveRemovalReason.Reset);
        return true;
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

    /// <summary>The registration kept for composing notifications: owned bytes, without the transfer options.</summary>
    private static CoapRequest OwnedCopy(CoapRequest request)
    {
        var message = request.Message;
        var options = new List<CoapOption>(message.Options.Count);
        foreach (var option in message.Options)
        {
            if (!RequestKey.IsTransferOption(option.Number)) options.Add(new CoapOption(option.Number, option.Value.ToArray()));
        }
        var copy = new CoapMessage(message.Type, message.Code, 0, message.Token.ToArray(), options, message.Payload.ToArray());
        var owned = new CoapRequest(copy, request.Peer) { RestoredState = request.RestoredState };
        owned.CopyRouteValuesFrom(request);
        return owned;
    }

    private static string TargetOf(CoapRequest request) =>
        "/" + string.Join('/', request.Path) + (request.Query.Count > 0 ? "?" + string.Join('&', request.Query) : "");

    private void StopObserving()
    {
        List<ObserveRelation> all;
        lock (_gate)
        {
            all = [.. _observe.All];
            foreach (var relation in all) _observe.Remove(relation);
        }
        foreach (var relation in all) AfterRemoval(relation, ObserveRemovalReason.EndpointStopped);
    }
}
