using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Gateway.Coap.Transport.Linux;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;

namespace Gateway.Coap.Transport.Dtls;

/// <summary>
/// CoAP over DTLS 1.2 (RFC 7252 §9; RFC 6347) on a datagram transport, behind the same
/// <see cref="IDatagramTransport"/> contract as plain UDP: the endpoint above receives plaintext
/// datagrams from, and sends them to, the session's peer address.
/// <para>The endpoint's receive threads read the socket themselves (<see cref="Receive"/>): each datagram is routed,
/// and an established session's record decrypted under the session's lock, on the thread that received it, which
/// then handles the plaintext and sends the answer: no hand-off per datagram (DESIGN.md "Threading"), and on Linux
/// the socket's batches of <c>recvmmsg</c>/<c>sendmmsg</c> and its polling serve DTLS as they serve plain CoAP. A peer
/// without a session gets nothing but a stateless HelloVerifyRequest until it echoes a valid cookie (RFC 6347
/// §4.2.1), so spoofed ClientHellos create no state; then its handshake runs on a worker thread (BouncyCastle's
/// <see cref="DtlsServerProtocol"/> is blocking), at most <see cref="DtlsServerOptions.MaxHandshakes"/> at once, the
/// oldest evicted. Every failure stays in its session: counted in <see cref="Statistics"/>, logged without secrets,
/// never thrown out of <see cref="Receive"/>.</para>
/// </summary>
public sealed class DtlsServerTransport : IBatchingDatagramTransport, ISessionIdentityProvider
{
    internal const int ReceiveLimit = 2048;
    private const int PendingCapacity = 4096;
    private static readonly TimeSpan SweepPeriod = TimeSpan.FromSeconds(1);
    /// <summary>"Established" and "handshake failed" lines logged one by one per second; the rest are counted (<see cref="LogBudget"/>).</summary>
    internal const int EstablishedLinesPerSecond = 20, FailureLinesPerSecond = 20;
    [ThreadStatic] private static byte[]? t_furtherRecords;

    private readonly IDatagramTransport _socket;
    private readonly IDtlsCredentialStore _store;
    private readonly DtlsCertificates _certificates;
    private readonly DtlsServerOptions _options;
    private readonly TimeProvider _time;
    private readonly LogBudget _establishedLog, _failureLog;
    private readonly ILogger _logger;
    private readonly BcTlsCrypto _crypto = new(new SecureRandom());
    private readonly DtlsVerifier _verifier;
    private readonly DtlsServerProtocol _protocol = new();
    private readonly ConcurrentDictionary<PeerAddress, DtlsSession> _byKey = new();
    private readonly ConcurrentDictionary<PeerAddress, DtlsSession> _byAddress = new();
    private readonly ConcurrentDictionary<UInt128, DtlsSession> _byConnectionId = new();
    private readonly ConcurrentDictionary<DtlsSession, byte> _handshakes = new();
    // Plaintext not handed out by the Receive that decrypted it: further records of one datagram, and data a handshake
    // worker decrypted from its backlog (records that came between the peer's Finished and the session's establishing).
    private readonly ConcurrentQueue<Inbound> _pending = new();
    private readonly IBatchingDatagramTransport? _batching;
    private readonly ThreadLocal<DtlsReceiver> _receivers;
    private SocketAddress? _wakeAddress;
    private readonly object _admission = new();
    private readonly ITimer _sweeper;
    private readonly HandshakeWorkers _handshakeWorkers = new(TimeSpan.FromMinutes(1));
    private int _pendingCount, _disposed;

    public DtlsServerTransport(IDatagramTransport socket, IDtlsCredentialStore store, DtlsCertificates? certificates = null,
        DtlsServerOptions? options = null, TimeProvider? timeProvider = null, ILogger? logger = null)
    {
        _socket = socket;
        _store = store;
        _certificates = certificates ?? DtlsCertificates.None;
        _options = options ?? new DtlsServerOptions();
        if (_options.Validate().FirstOrDefault() is { } problem) throw new ArgumentException(problem, nameof(options));
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
        _verifier = new DtlsVerifier(_crypto);
        _establishedLog = new LogBudget(EstablishedLinesPerSecond, _time.TimestampFrequency);
        _failureLog = new LogBudget(FailureLinesPerSecond, _time.TimestampFrequency);
        _sweeper = _time.CreateTimer(static s => ((DtlsServerTransport)s!).Sweep(), this, SweepPeriod, SweepPeriod);
        _batching = socket as IBatchingDatagramTransport;
        _receivers = new ThreadLocal<DtlsReceiver>(() => new DtlsReceiver(_socket.AddressFamily, _batching?.CreateBatch(ReceiveLimit)));
        DtlsLog.Listening(_logger, LocalEndPoint, _certificates.HasServerCertificate ? "PSK and certificate suites" : "PSK suites", _options.ConnectionIdLength);
    }

    public DtlsStatistics Statistics { get; } = new();

    public AddressFamily AddressFamily => _socket.AddressFamily;

    public EndPoint LocalEndPoint => _socket.LocalEndPoint;

    /// <summary>Established sessions by device (for status): (peer, device or null, credential kind).</summary>
    public IReadOnlyList<(PeerAddress Peer, string? Device)> Sessions =>
        [.. _byKey.Values.Where(s => s.IsEstablished).Select(s => (s.Address, s.Identity))];

    /// <summary>
    /// Reads the socket on the calling thread until a datagram yields application data: routes each datagram (cookie
    /// exchange, a handshake's queue, or the session's record layer) and returns the first plaintext, with the session's
    /// name as the sender. -1 once the transport is closed.
    /// </summary>
    public int Receive(Span<byte> buffer, SocketAddress remote)
    {
        var receiver = _receivers.Value!;
        while (true)
        {
            if (Volatile.Read(ref _pendingCount) > 0 && _pending.TryDequeue(out var item))
            {
                Interlocked.Decrement(ref _pendingCount);
                int copied = HandOut(item.Session, item.Buffer.AsSpan(0, item.Length), buffer, remote);
                ArrayPool<byte>.Shared.Return(item.Buffer);
                if (copied >= 0) return copied;
                continue;
            }
            int length = receiver.Next(_socket, _batching, Statistics);
            if (length < 0)
            {
                receiver.Dispose(); // its thread stops receiving: the transport is closed
                return -1;
            }
            if (length == 0) continue; // no record (also what Wake sends)
            DtlsSession? session;
            int received;
            try
            {
                received = Dispatch(receiver.Datagram, length, receiver.From, receiver.Plaintext, out session);
            }
#pragma warning disable CA1031 // nothing a peer sends may stop the receive thread; a bug here is logged, not fatal
            catch (Exception e)
#pragma warning restore CA1031
            {
                DtlsLog.DatagramFailed(_logger, e, PeerAddress.From(receiver.From).ToString());
                continue;
            }
            if (received < 0) continue;
            int handed = HandOut(session!, receiver.Plaintext.AsSpan(0, received), buffer, remote);
            if (handed >= 0) return handed;
        }
    }

    /// <summary>
    /// Copies a session's plaintext to the caller, named by the session's key address; -1 (dropped, counted) if it does
    /// not fit: a message longer than the endpoint takes is dropped unread, as a truncated UDP datagram is (RFC 7252 §4.6).
    /// </summary>
    private int HandOut(DtlsSession session, ReadOnlySpan<byte> plaintext, Span<byte> buffer, SocketAddress remote)
    {
        if (plaintext.Length > buffer.Length)
        {
            Interlocked.Increment(ref Statistics._recordsDiscarded);
            return -1;
        }
        plaintext.CopyTo(buffer);
        var address = session.KeyAddress;
        address.Buffer.Span[..address.Size].CopyTo(remote.Buffer.Span);
        remote.Size = address.Size;
        return plaintext.Length;
    }

    public void Send(ReadOnlySpan<byte> datagram, SocketAddress remote)
    {
        if (!_byKey.TryGetValue(PeerAddress.From(remote), out var session) || !session.IsEstablished)
        {
            Interlocked.Increment(ref Statistics._sendsDropped);
            return;
        }
        bool failed = false;
        lock (session.Gate)
        {
            if (!session.IsEstablished || datagram.Length > session.Dtls!.GetSendLimit())
            {
                Interlocked.Increment(ref Statistics._sendsDropped);
                return;
            }
            try
            {
                session.Dtls.Send(datagram);
            }
            catch (IOException)
            {
                failed = true;
            }
        }
        if (failed) Remove(session, "send failed", notify: false, closed: true);
    }

    /// <summary>The session named <paramref name="peer"/>, for tests.</summary>
    internal DtlsSession? FindSession(PeerAddress peer) => _byKey.TryGetValue(peer, out var session) ? session : null;

    public string? GetSessionIdentity(PeerAddress peer) =>
        _byKey.TryGetValue(peer, out var session) && session.IsEstablished ? session.Identity : null;

    /// <summary>
    /// Routes one datagram: to a session's handshake, its record layer, or the cookie exchange. Returns the length of the
    /// application data it yielded in <paramref name="plaintext"/>, from <paramref name="session"/>, or -1; data of
    /// further records in the datagram waits for the next <see cref="Receive"/>.
    /// </summary>
    internal int Dispatch(byte[] datagram, int length, SocketAddress from, byte[] plaintext, out DtlsSession? session)
    {
        session = null;
        var span = datagram.AsSpan(0, length);
        if (!DtlsRecordHeader.TryRead(span, _options.ConnectionIdLength, out var header))
        {
            Interlocked.Increment(ref Statistics._recordsMalformed);
            return -1;
        }
        var peer = PeerAddress.From(from);
        // A record with a connection id names its session (RFC 9146 §6), from any address; the id is indexed when it is
        // issued, in the handshake, before the peer's first record with it (its Finished).
        session = header.ContentType == DtlsRecordHeader.Tls12Cid
            ? _byConnectionId.GetValueOrDefault(ConnectionIdKey(span.Slice(header.ConnectionIdOffset, header.ConnectionIdLength)))
            : _byAddress.GetValueOrDefault(peer);
        if (DtlsRecordHeader.IsClientHello(span, header))
        {
            // A retransmitted ClientHello of a handshake in progress goes to it; any other starts over (RFC 6347 §4.2.8).
            if (session is not { IsHandshaking: true } || session.Address != peer || !OfferHandshake(session, span, header, movedFrom: null))
            {
                OnClientHello(datagram, length, peer, from);
            }
            return -1;
        }
        if (session is null || session.IsClosed)
        {
            Interlocked.Increment(ref Statistics._recordsNoSession);
            return -1;
        }
        if (session.IsHandshaking)
        {
            // Only a record naming the session by its connection id may come from elsewhere: its peer moved right after
            // its Finished, before the handshake thread got to establish the session.
            if (session.Address != peer && header.ContentType != DtlsRecordHeader.Tls12Cid)
            {
                Interlocked.Increment(ref Statistics._recordsNoSession);
                return -1;
            }
            if (OfferHandshake(session, span, header, session.Address == peer ? null : Copy(from))) return -1;
            // The handshake ended between the check and the offer: the record layer takes the datagram.
            if (!session.IsEstablished)
            {
                Interlocked.Increment(ref Statistics._recordsNoSession);
                return -1;
            }
        }
        if (!DtlsRecordHeader.AllRecordsDecodable(span, _options.ConnectionIdLength, session.MinCiphertextLength))
        {
            // BouncyCastle fails the whole session (decode_error) on an encrypted record too short for its cipher,
            // where RFC 6347 §4.1.2.7 wants it silently discarded: such a record never reaches the library.
            Interlocked.Increment(ref Statistics._recordsDiscarded);
            return -1;
        }
        if (header.Epoch == 0 && session.PeerConfirmed)
        {
            // Unauthenticated epoch-0 records matter only until the peer is known to have our Finished (its first
            // application data, RFC 6347 §4.2.4); after that one could only be a forgery, which the library might
            // treat as a fatal error of the whole session.
            Interlocked.Increment(ref Statistics._recordsDiscarded);
            return -1;
        }
        return Deliver(session, datagram, length, peer, from, plaintext);
    }

    /// <summary>Hands a datagram to a session's handshake (a full queue drops it, counted); false if the handshake has just ended.</summary>
    private bool OfferHandshake(DtlsSession session, ReadOnlySpan<byte> datagram, in DtlsRecordHeader header, SocketAddress? movedFrom)
    {
        var offer = session.OfferHandshake(datagram, header, movedFrom);
        if (offer == DtlsSession.HandshakeOffer.Full) Interlocked.Increment(ref Statistics._recordsQueueFull);
        return offer != DtlsSession.HandshakeOffer.Over;
    }

    /// <summary>
    /// Decrypts an established session's datagram: returns the length of its first record's application data, in
    /// <paramref name="plaintext"/>, or -1; the data of further records in the datagram is queued for <see cref="Receive"/>.
    /// </summary>
    private int Deliver(DtlsSession session, byte[] datagram, int length, PeerAddress peer, SocketAddress from, byte[] plaintext)
    {
        bool closed = false;
        PeerAddress? movedFrom = null;
        int first;
        lock (session.Gate)
        {
            if (!session.IsEstablished) return -1;
            try
            {
                first = session.Decrypt(datagram, length, plaintext);
            }
            catch (IOException)
            {
                first = -1; // a fatal alert from the peer, or the record layer failed: the session is over
                closed = true;
            }
            closed |= session.IsClosed;
            if (first < 0)
            {
                if (!closed && session.LastRecordFlags == DtlsRecordFlags.None) Interlocked.Increment(ref Statistics._recordsDiscarded);
            }
            else
            {
                session.LastActivity = _time.GetTimestamp();
                session.PeerConfirmed = true;
                // RFC 9146 §6: move only on an authenticated record that carries the connection id and is the newest. The
                // move comes before the data is handed on, so the answer to this very record goes to the new address.
                // An authenticated older record from elsewhere (sent before the move, overtaken) is data all the same.
                if (session.Address != peer && (session.LastRecordFlags & (DtlsRecordFlags.IsNewest | DtlsRecordFlags.UsesConnectionID))
                    == (DtlsRecordFlags.IsNewest | DtlsRecordFlags.UsesConnectionID))
                {
                    movedFrom = session.Address;
                    session.Rebind(peer, Copy(from));
                }
                closed = !QueueFurtherRecords(session);
            }
        }
        if (closed)
        {
            Remove(session, "closed by the peer or a fatal error", notify: false, closed: true);
            return -1;
        }
        if (movedFrom is { } old) Rebound(session, old, peer);
        return first;
    }

    /// <summary>Under the session's lock: queues the data of the datagram's records after the first; false if the session failed.</summary>
    private bool QueueFurtherRecords(DtlsSession session)
    {
        // Per thread, so the common datagram of one record costs no buffer: only data found is copied out (Queue).
        var scratch = t_furtherRecords ??= new byte[ReceiveLimit];
        try
        {
            int received;
            while ((received = session.ReceivePending(scratch)) >= 0) Queue(session, scratch.AsSpan(0, received));
            return true;
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>Queues a copy of plaintext (in a pooled buffer, which Receive returns) for <see cref="Receive"/>; a full queue drops it, counted.</summary>
    private void Queue(DtlsSession session, ReadOnlySpan<byte> plaintext)
    {
        if (Interlocked.Increment(ref _pendingCount) > PendingCapacity || Volatile.Read(ref _disposed) != 0)
        {
            Interlocked.Decrement(ref _pendingCount);
            Interlocked.Increment(ref Statistics._recordsQueueFull);
            return;
        }
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(plaintext.Length, 1));
        plaintext.CopyTo(buffer);
        _pending.Enqueue(new Inbound(session, buffer, plaintext.Length));
    }

    /// <summary>
    /// Wakes a receive thread for data queued off the receive threads (a handshake worker's backlog): an empty datagram
    /// to the transport's own socket, which the thread it reaches skips before it takes the queued data.
    /// </summary>
    private void Wake()
    {
        var to = _wakeAddress ??= WakeAddress((IPEndPoint)_socket.LocalEndPoint);
        _socket.Send(ReadOnlySpan<byte>.Empty, to);
    }

    /// <summary>Where a socket bound to <paramref name="local"/> reaches itself: its own address, or loopback for a wildcard.</summary>
    internal static SocketAddress WakeAddress(IPEndPoint local)
    {
        // A socket bound to :: is dual-stack (UdpDatagramTransport), and IPv4 loopback reaches it also where IPv6 is off.
        var address = local.Address.Equals(IPAddress.Any) ? IPAddress.Loopback
            : local.Address.Equals(IPAddress.IPv6Any) ? IPAddress.Loopback.MapToIPv6()
            : local.Address;
        return new IPEndPoint(address, local.Port).Serialize();
    }

    /// <summary>Re-indexes a session that has moved from <paramref name="old"/> to <paramref name="peer"/>.</summary>
    private void Rebound(DtlsSession session, PeerAddress old, PeerAddress peer)
    {
        lock (_admission)
        {
            if (_byAddress.TryGetValue(peer, out var other) && other != session) Remove(other, "its address was taken over by a rebound session", notify: false);
            _byAddress.TryRemove(KeyValuePair.Create(old, session));
            if (!session.IsClosed && session.Address == peer) _byAddress[peer] = session;
        }
        Interlocked.Increment(ref Statistics._rebinds);
        DtlsLog.Rebound(_logger, session.Identity ?? "(one-way)", old.ToString(), peer.ToString());
    }

    private void OnClientHello(byte[] datagram, int length, PeerAddress peer, SocketAddress from)
    {
        // The cookie binds the peer's address and port (RFC 6347 §4.2.1): a spoofed source never sees it.
        var sender = new CookieSender(_socket, from, _options.MaxDatagramSize);
        var request = _verifier.VerifyRequest(PeerId(peer), datagram, 0, length, sender);
        if (request is null)
        {
            Interlocked.Increment(ref sender.Sent ? ref Statistics._cookiesSent : ref Statistics._clientHellosDropped);
            return;
        }
        DtlsSession session;
        lock (_admission)
        {
            if (_byAddress.TryGetValue(peer, out var previous)) Remove(previous, "the peer started a new handshake", notify: false);
            if (_byKey.TryGetValue(peer, out var holder)) Remove(holder, "a new handshake from its original address", notify: false);
            MakeRoom();
            session = new DtlsSession(_socket, peer, Copy(from), _time.GetTimestamp(), _options.HandshakeQueueLength, ReceiveLimit, _options.MaxDatagramSize);
            _byKey[peer] = session;
            _byAddress[peer] = session;
            _handshakes[session] = 0;
        }
        Interlocked.Increment(ref Statistics._sessions);
        Interlocked.Increment(ref Statistics._handshaking);
        Interlocked.Increment(ref Statistics._handshakesStarted);
        _handshakeWorkers.Run(() => RunHandshake(session, request));
    }

    /// <summary>Under the admission lock: evicts the oldest handshake and the least recently active session when at their caps.</summary>
    private void MakeRoom()
    {
        if (_handshakes.Count >= _options.MaxHandshakes && _handshakes.Keys.MinBy(s => s.Created) is { } oldest)
        {
            DtlsLog.Evicted(_logger, "handshake", _options.MaxHandshakes, oldest.ToString());
            AbortHandshake(oldest, DtlsHandshakeFailure.Evicted, "evicted by a newer handshake");
        }
        if (_byKey.Count >= _options.MaxSessions)
        {
            var victim = _byKey.Values.Where(s => s.IsEstablished).MinBy(s => s.LastActivity) ?? _byKey.Values.MinBy(s => s.Created);
            if (victim is not null)
            {
                DtlsLog.Evicted(_logger, "session", _options.MaxSessions, victim.ToString());
                Interlocked.Increment(ref Statistics._sessionsEvicted);
                Remove(victim, "evicted", notify: true, aborted: true);
            }
        }
    }

    private void RunHandshake(DtlsSession session, DtlsRequest request)
    {
        var server = new GatewayTlsServer(_crypto, _store, _certificates, _options, _time, () => IssueConnectionId(session));
        session.Server = server;
        try
        {
            var dtls = _protocol.Accept(server, session, request);
            var backlog = session.Establish(dtls, server.Device, server.MinCiphertextLength);
            if (backlog is null)
            {
                dtls.Close();
                throw new IOException("DTLS handshake aborted");
            }
            session.LastActivity = _time.GetTimestamp();
            if (_handshakes.TryRemove(session, out _)) Interlocked.Decrement(ref Statistics._handshaking);
            if (_establishedLog.TryTake(_time.GetTimestamp()))
                DtlsLog.Established(_logger, session.ToString(), server.Credential, server.Device ?? "(token in the URI)", server.CipherSuiteName);
            Interlocked.Increment(ref Statistics._handshakesCompleted); // after the log's budget: a completed handshake was logged or counted
            // Records that arrived between the peer's Finished and now (a request sent right after the handshake).
            // They are decrypted here, their data queued for the receive threads, one of which is woken to take it.
            if (backlog.Count > 0)
            {
                var plaintext = new byte[ReceiveLimit];
                foreach (var (datagram, movedFrom) in backlog)
                {
                    var from = movedFrom ?? session.SendAddress;
                    int received = Deliver(session, datagram, datagram.Length, PeerAddress.From(from), from, plaintext);
                    if (received >= 0) Queue(session, plaintext.AsSpan(0, received));
                }
                if (Volatile.Read(ref _pendingCount) > 0) Wake();
            }
        }
#pragma warning disable CA1031 // every way a handshake can fail is counted and confined to its session
        catch (Exception e)
#pragma warning restore CA1031
        {
            session.FlushFlight(); // the alert the library sent on its way out
            // An aborted handshake (evicted, timed out, shut down) was counted and logged when it was aborted.
            if (!session.Aborted)
            {
                var reason = HandshakeFailureClassifier.Classify(e, server, session);
                LogFailure(session, reason, HandshakeFailureClassifier.Detail(e));
                Interlocked.Increment(ref Statistics._failures[(int)reason]);
            }
            Remove(session, "handshake failed", notify: false);
        }
    }

    /// <summary>
    /// Ends a handshake from outside its thread, counted by <paramref name="reason"/> at once and its state freed at
    /// once; closing the session completes its queue, so the thread's blocked receive returns and the thread ends.
    /// </summary>
    private void AbortHandshake(DtlsSession session, DtlsHandshakeFailure reason, string why)
    {
        if (!session.Close(notify: false, aborted: true)) return;
        LogFailure(session, reason, why);
        Interlocked.Increment(ref Statistics._failures[(int)reason]);
        Remove(session, why, notify: false);
    }

    /// <summary>
    /// A failed handshake's warning, within the budget; a flood of them is counted (and in the statistics by reason,
    /// incremented after this, so a failure that shows in the statistics has been logged or counted here).
    /// </summary>
    private void LogFailure(DtlsSession session, DtlsHandshakeFailure reason, string detail)
    {
        if (_failureLog.TryTake(_time.GetTimestamp())) DtlsLog.HandshakeFailed(_logger, session.ToString(), reason, detail);
    }

    /// <summary>Drops idle sessions and handshakes past their time, on the transport's clock (the library's own wall-clock timer is a later backstop).</summary>
    internal void Sweep()
    {
        long now = _time.GetTimestamp();
        if (_establishedLog.TakeSuppressed(now) is > 0 and var heldBack) DtlsLog.EstablishedHeldBack(_logger, heldBack, EstablishedLinesPerSecond);
        if (_failureLog.TakeSuppressed(now) is > 0 and var failures) DtlsLog.FailuresHeldBack(_logger, failures, FailureLinesPerSecond);
        foreach (var session in _byKey.Values)
        {
            if (session.IsHandshaking && _time.GetElapsedTime(session.Created, now) > _options.HandshakeTimeout)
            {
                AbortHandshake(session, HandshakeFailureClassifier.TimeoutReason(session), "timed out");
            }
            else if (session.IsEstablished && _time.GetElapsedTime(session.LastActivity, now) > _options.SessionIdleTimeout)
            {
                Interlocked.Increment(ref Statistics._sessionsExpired);
                Remove(session, "idle", notify: true);
            }
            else if (session.IsClosed && !_handshakes.ContainsKey(session))
            {
                Remove(session, "closed", notify: false);
            }
        }
    }

    private void Remove(DtlsSession session, string why, bool notify, bool aborted = false, bool closed = false)
    {
        session.Close(notify, aborted);
        if (_byKey.TryRemove(KeyValuePair.Create(session.Key, session)))
        {
            Interlocked.Decrement(ref Statistics._sessions);
            if (closed) Interlocked.Increment(ref Statistics._sessionsClosed);
            DtlsLog.SessionEnded(_logger, session.ToString(), why);
        }
        _byAddress.TryRemove(KeyValuePair.Create(session.Address, session));
        _byAddress.TryRemove(KeyValuePair.Create(session.Key, session));
        if (session.ConnectionId is { } id) _byConnectionId.TryRemove(KeyValuePair.Create(ConnectionIdKey(id), session));
        if (_handshakes.TryRemove(session, out _)) Interlocked.Decrement(ref Statistics._handshaking);
    }

    /// <summary>
    /// A connection id for the session's ServerHello (RFC 9146 §3), indexed at once: the peer may put it on records
    /// from its Finished on, and from any address, also before the handshake thread has established the session.
    /// </summary>
    private byte[]? IssueConnectionId(DtlsSession session)
    {
        if (_options.ConnectionIdLength == 0) return null;
        while (true)
        {
            var id = RandomNumberGenerator.GetBytes(_options.ConnectionIdLength);
            if (!_byConnectionId.TryAdd(ConnectionIdKey(id), session)) continue;
            if (session.ConnectionId is { } previous) _byConnectionId.TryRemove(KeyValuePair.Create(ConnectionIdKey(previous), session));
            session.ConnectionId = id; // a session that ends from now on takes its id out of the index (Remove)
            return id;
        }
    }

    private static UInt128 ConnectionIdKey(ReadOnlySpan<byte> id)
    {
        UInt128 key = 0;
        foreach (byte b in id) key = (key << 8) | b; // ids have one fixed length (at most 16 bytes): no collisions
        return key;
    }

    private static byte[] PeerId(PeerAddress peer)
    {
        var id = new byte[22];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt128BigEndian(id, peer.Address);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(id.AsSpan(16), peer.Port);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(id.AsSpan(18), peer.ScopeId);
        return id;
    }

    private static SocketAddress Copy(SocketAddress address)
    {
        var copy = new SocketAddress(address.Family, address.Size);
        address.Buffer.Span[..address.Size].CopyTo(copy.Buffer.Span);
        return copy;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _sweeper.Dispose();
        foreach (var session in _byKey.Values) Remove(session, "shutdown", notify: session.IsEstablished, aborted: session.IsHandshaking);
        _socket.Dispose();
        _handshakeWorkers.Dispose();
        while (_pending.TryDequeue(out var item)) ArrayPool<byte>.Shared.Return(item.Buffer);
    }

    // The endpoint's receive threads call Receive (CreateBatch gives them no batch of their own): the socket's batches
    // are used inside Receive, and what a receive thread sends meanwhile queues in its socket batch.
    DatagramBatch? IBatchingDatagramTransport.CreateBatch(int maxDatagramBytes) => null;

    int IBatchingDatagramTransport.ReceiveBatch(DatagramBatch batch) => throw new NotSupportedException("DTLS receives through Receive");

    void IBatchingDatagramTransport.SendQueued() => _batching?.SendQueued();

    IDisposable? IBatchingDatagramTransport.CoalesceAnswers(int maxDatagramBytes) => _batching?.CoalesceAnswers(ReceiveLimit);

    private readonly record struct Inbound(DtlsSession Session, byte[] Buffer, int Length);
}
