using Gateway.Coap.Messages;

namespace Gateway.Coap;

/// <summary>
/// Counters of one endpoint, bumped with interlocked adds on the receive path and read by the
/// host's metrics (observable instruments poll them, so counting costs nothing more).
/// </summary>
public sealed class CoapEndpointStatistics
{
    internal long _received, _malformed, _ignored, _resetsSent, _duplicates, _requests, _separateResponses, _handlerErrors, _badOptions, _unmatched;
    internal long _observers, _observersAdded, _observersRemoved, _observersEvicted, _observersReplaced, _notifications, _confirmableNotifications, _notificationsSuperseded;
    internal long _block2Transfers, _block2CacheHits, _block1Transfers, _block1Continues, _block1Incomplete, _block1TooLarge;
    private readonly long[] _handlerResponses = new long[256];

    /// <summary>Responses the handler (the resource tree) gave with <paramref name="code"/>, before block-wise shaping.</summary>
    public long HandlerResponses(CoapCode code) => Volatile.Read(ref _handlerResponses[code.Value]);

    internal void CountHandlerResponse(CoapCode code) => Interlocked.Increment(ref _handlerResponses[code.Value]);

    public long DatagramsReceived => Volatile.Read(ref _received);
    /// <summary>Datagrams the codec rejected (any reaction).</summary>
    public long Malformed => Volatile.Read(ref _malformed);
    /// <summary>Datagrams dropped without any answer (unknown version, bad NON, stray ACK...).</summary>
    public long Ignored => Volatile.Read(ref _ignored);
    public long ResetsSent => Volatile.Read(ref _resetsSent);
    /// <summary>Retransmitted requests answered from the deduplication cache or dropped.</summary>
    public long Duplicates => Volatile.Read(ref _duplicates);
    public long Requests => Volatile.Read(ref _requests);
    public long SeparateResponses => Volatile.Read(ref _separateResponses);
    public long HandlerErrors => Volatile.Read(ref _handlerErrors);
    public long BadOptions => Volatile.Read(ref _badOptions);
    /// <summary>Responses, ACKs or RSTs that matched nothing this endpoint sent.</summary>
    public long Unmatched => Volatile.Read(ref _unmatched);

    /// <summary>Observe relations currently registered (RFC 7641).</summary>
    public long Observers => Volatile.Read(ref _observers);
    public long ObserversAdded => Volatile.Read(ref _observersAdded);
    /// <summary>Relations ended for any reason (deregistration, RST, timeout, replacement, eviction...).</summary>
    public long ObserversRemoved => Volatile.Read(ref _observersRemoved);
    /// <summary>Relations evicted by the per-peer or global cap.</summary>
    public long ObserversEvicted => Volatile.Read(ref _observersEvicted);
    /// <summary>Relations replaced by a registration of the same observer identity from another address; each old one got a final response.</summary>
    public long ObserversReplaced => Volatile.Read(ref _observersReplaced);
    public long Notifications => Volatile.Read(ref _notifications);
    public long ConfirmableNotifications => Volatile.Read(ref _confirmableNotifications);
    /// <summary>Unacknowledged CON notifications replaced by a newer one (RFC 7641 §4.5.2).</summary>
    public long NotificationsSuperseded => Volatile.Read(ref _notificationsSuperseded);
    /// <summary>Responses split into Block2 blocks (a body computed and cached).</summary>
    public long Block2Transfers => Volatile.Read(ref _block2Transfers);
    /// <summary>Blocks served from the Block2 cache without running the handler.</summary>
    public long Block2CacheHits => Volatile.Read(ref _block2CacheHits);
    /// <summary>Whole bodies reassembled from Block1 blocks and handed to a handler.</summary>
    public long Block1Transfers => Volatile.Read(ref _block1Transfers);
    public long Block1Continues => Volatile.Read(ref _block1Continues);
    /// <summary>4.08 Request Entity Incomplete answers (gap, out of order, unknown or expired transfer).</summary>
    public long Block1Incomplete => Volatile.Read(ref _block1Incomplete);
    /// <summary>4.13 Request Entity Too Large answers.</summary>
    public long Block1TooLarge => Volatile.Read(ref _block1TooLarge);
}
