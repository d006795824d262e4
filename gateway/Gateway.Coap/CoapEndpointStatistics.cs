namespace Gateway.Coap;

/// <summary>
/// Counters of one endpoint, bumped with interlocked adds on the receive path and read by the
/// host's metrics (observable instruments poll them, so counting costs nothing more).
/// </summary>
public sealed class CoapEndpointStatistics
{
    internal long _received, _malformed, _ignored, _resetsSent, _duplicates, _requests, _separateResponses, _handlerErrors, _badOptions, _unmatched;

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
}
