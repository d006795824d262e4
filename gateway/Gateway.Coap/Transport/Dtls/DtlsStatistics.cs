namespace Gateway.Coap.Transport.Dtls;

/// <summary>Counters of the DTLS transport, bumped with interlocked adds and polled by the host's metrics.</summary>
public sealed class DtlsStatistics
{
    internal long _sessions, _handshaking, _handshakesStarted, _handshakesCompleted, _cookiesSent, _clientHellosDropped;
    internal long _recordsMalformed, _recordsNoSession, _recordsDiscarded, _recordsQueueFull, _sessionsExpired, _sessionsEvicted, _sessionsClosed, _sendsDropped, _rebinds;
    internal readonly long[] _failures = new long[Enum.GetValues<DtlsHandshakeFailure>().Length];

    /// <summary>Sessions now held, established or handshaking.</summary>
    public long Sessions => Volatile.Read(ref _sessions);
    public long Handshaking => Volatile.Read(ref _handshaking);
    /// <summary>Handshakes started after a valid cookie (RFC 6347 §4.2.1): only these create per-peer state.</summary>
    public long HandshakesStarted => Volatile.Read(ref _handshakesStarted);
    public long HandshakesCompleted => Volatile.Read(ref _handshakesCompleted);
    public long HandshakesFailed(DtlsHandshakeFailure reason) => Volatile.Read(ref _failures[(int)reason]);
    public long HandshakesFailedTotal => _failures.Sum(f => Volatile.Read(ref f));
    /// <summary>HelloVerifyRequests sent to ClientHellos without a valid cookie (no state kept).</summary>
    public long CookiesSent => Volatile.Read(ref _cookiesSent);
    /// <summary>ClientHellos that were not parseable.</summary>
    public long ClientHellosDropped => Volatile.Read(ref _clientHellosDropped);
    /// <summary>Datagrams that are not DTLS records.</summary>
    public long RecordsMalformed => Volatile.Read(ref _recordsMalformed);
    /// <summary>Records from a peer without a session that are not a ClientHello (dropped, RFC 6347 §4.1.2.7).</summary>
    public long RecordsWithoutSession => Volatile.Read(ref _recordsNoSession);
    /// <summary>
    /// Records of a session that gave no data: bad MAC, replay, stale epoch (silently discarded, RFC 6347 §4.1.2.7), or
    /// whose data is longer than the CoAP endpoint takes (<c>Coap:MaxMessageSize</c>, dropped unread, RFC 7252 §4.6).
    /// </summary>
    public long RecordsDiscarded => Volatile.Read(ref _recordsDiscarded);
    /// <summary>Datagrams dropped because a queue was full: a handshake's, or the receive threads' queue of plaintext.</summary>
    public long RecordsQueueFull => Volatile.Read(ref _recordsQueueFull);
    public long SessionsExpired => Volatile.Read(ref _sessionsExpired);
    public long SessionsEvicted => Volatile.Read(ref _sessionsEvicted);
    /// <summary>Sessions ended by the peer (close_notify or a fatal alert) or by a fatal error.</summary>
    public long SessionsClosed => Volatile.Read(ref _sessionsClosed);
    /// <summary>Datagrams the CoAP layer sent to a peer without an established session, or too large for a record.</summary>
    public long SendsDropped => Volatile.Read(ref _sendsDropped);
    /// <summary>Sessions that moved to a new address on an authenticated record with their connection id (RFC 9146 §6).</summary>
    public long Rebinds => Volatile.Read(ref _rebinds);
}
