using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
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
/// <para>One demultiplexing loop reads the socket. A peer without a session gets nothing but a
/// stateless HelloVerifyRequest until it echoes a valid cookie (RFC 6347 §4.2.1), so spoofed
/// ClientHellos create no state; then its handshake runs on a thread of its own (BouncyCastle's
/// <see cref="DtlsServerProtocol"/> is blocking), at most <see cref="DtlsServerOptions.MaxHandshakes"/>
/// at once, the oldest evicted. Established sessions' records are decrypted on the loop, under the
/// session's lock, and queued (bounded) for the endpoint's receive threads. Every failure stays in its
/// session: counted in <see cref="Statistics"/>, logged without secrets, never thrown out of the loop.</para>
/// </summary>
public sealed class DtlsServerTransport : IDatagramTransport, ISessionIdentityProvider
{
    private const int ReceiveLimit = 2048;
    private const int InboxCapacity = 4096;
    private static readonly TimeSpan SweepPeriod = TimeSpan.FromSeconds(1);

    private readonly IDatagramTransport _socket;
    private readonly IDtlsCredentialStore _store;
    private readonly DtlsCertificates _certificates;
    private readonly DtlsServerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly BcTlsCrypto _crypto = new(new SecureRandom());
    private readonly DtlsVerifier _verifier;
    private readonly DtlsServerProtocol _protocol = new();
    private readonly ConcurrentDictionary<PeerAddress, DtlsSession> _byKey = new();
    private readonly ConcurrentDictionary<PeerAddress, DtlsSession> _byAddress = new();
    private readonly ConcurrentDictionary<UInt128, DtlsSession> _byConnectionId = new();
    private readonly ConcurrentDictionary<DtlsSession, byte> _handshakes = new();
    private readonly BlockingCollection<Inbound> _inbox = new(InboxCapacity);
    private readonly object _admission = new();
    private readonly ITimer _sweeper;
    private readonly HandshakeWorkers _handshakeWorkers = new(TimeSpan.FromMinutes(1));
    private Thread? _loop;
    private int _started, _disposed;

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
        _sweeper = _time.CreateTimer(static s => ((DtlsServerTransport)s!).Sweep(), this, SweepPeriod, SweepPeriod);
    }

    public DtlsStatistics Statistics { get; } = new();

    public AddressFamily AddressFamily => _socket.AddressFamily;

    public EndPoint LocalEndPoint => _socket.LocalEndPoint;

    /// <summary>Established sessions by device (for status): (peer, device or null, credential kind).</summary>
    public IReadOnlyList<(PeerAddress Peer, string? Device)> Sessions =>
        [.. _byKey.Values.Where(s => s.IsEstablished).Select(s => (s.Address, s.Identity))];

    /// <summary>Starts the demultiplexing loop (also done by the first <see cref="Receive"/>).</summary>
    public void Start()
    {
        if (Interlocked.Exchange(ref _started, 1) != 0) return;
        _loop = new Thread(DemuxLoop) { IsBackground = true, Name = "dtls-rx" };
        _loop.Start();
        DtlsLog.Listening(_logger, LocalEndPoint, _certificates.HasServerCertificate ? "PSK and certificate suites" : "PSK suites", _options.ConnectionIdLength);
    }

    public int Receive(Span<byte> buffer, SocketAddress remote)
    {
        Start();
        Inbound item;
        try
        {
            item = _inbox.Take();
        }
        catch (InvalidOperationException)
        {
            return -1; // completed: disposed
        }
        int length = Math.Min(item.Length, buffer.Length);
        item.Buffer.AsSpan(0, length).CopyTo(buffer);
        ArrayPool<byte>.Shared.Return(item.Buffer);
        var address = item.Session.KeyAddress;
        address.Buffer.Span[..address.Size].CopyTo(remote.Buffer.Span);
        remote.Size = address.Size;
        return length;
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

    private void DemuxLoop()
    {
        var datagram = new byte[ReceiveLimit];
        var plaintext = new byte[ReceiveLimit];
        var from = new SocketAddress(_socket.AddressFamily);
        while (true)
        {
            int length = _socket.Receive(datagram, from);
            if (length < 0) break;
            try
            {
                Dispatch(datagram, length, from, plaintext);
            }
#pragma warning disable CA1031 // nothing a peer sends may stop the loop; a bug here is logged, not fatal
            catch (Exception e)
#pragma warning restore CA1031
            {
                DtlsLog.DatagramFailed(_logger, e, PeerAddress.From(from).ToString());
            }
        }
    }

    /// <summary>Routes one datagram: to a session's handshake, its record layer, or the cookie exchange.</summary>
    internal void Dispatch(byte[] datagram, int length, SocketAddress from, byte[] plaintext)
    {
        var span = datagram.AsSpan(0, length);
        if (!DtlsRecordHeader.TryRead(span, _options.ConnectionIdLength, out var header))
        {
            Interlocked.Increment(ref Statistics._recordsMalformed);
            return;
        }
        var peer = PeerAddress.From(from);
        // A record with a connection id names its session (RFC 9146 §6), from any address; the id is indexed when it is
        // issued, in the handshake, before the peer's first record with it (its Finished).
        var session = header.ContentType == DtlsRecordHeader.Tls12Cid
            ? _byConnectionId.GetValueOrDefault(ConnectionIdKey(span.Slice(header.ConnectionIdOffset, header.ConnectionIdLength)))
            : _byAddress.GetValueOrDefault(peer);
        if (DtlsRecordHeader.IsClientHello(span, header))
        {
            // A retransmitted ClientHello of a handshake in progress goes to it; any other starts over (RFC 6347 §4.2.8).
            if (session is not { IsHandshaking: true } || session.Address != peer || !OfferHandshake(session, span, header, movedFrom: null))
            {
                OnClientHello(datagram, length, peer, from);
            }
            return;
        }
        if (session is null || session.IsClosed)
        {
            Interlocked.Increment(ref Statistics._recordsNoSession);
            return;
        }
        if (session.IsHandshaking)
        {
            // Only a record naming the session by its connection id may come from elsewhere: its peer moved right after
            // its Finished, before the handshake thread got to establish the session.
            if (session.Address != peer && header.ContentType != DtlsRecordHeader.Tls12Cid)
            {
                Interlocked.Increment(ref Statistics._recordsNoSession);
                return;
            }
            if (OfferHandshake(session, span, header, session.Address == peer ? null : Copy(from))) return;
            // The handshake ended between the check and the offer: the record layer takes the datagram.
            if (!session.IsEstablished)
            {
                Interlocked.Increment(ref Statistics._recordsNoSession);
                return;
            }
        }
        if (!DtlsRecordHeader.AllRecordsDecodable(span, _options.ConnectionIdLength, session.MinCiphertextLength))
        {
            // BouncyCastle fails the whole session (decode_error) on an encrypted record too short for its cipher,
            // where RFC 6347 §4.1.2.7 wants it silently discarded: such a record never reaches the library.
            Interlocked.Increment(ref Statistics._recordsDiscarded);
            return;
        }
        if (header.Epoch == 0 && session.PeerConfirmed)
        {
            // Unauthenticated epoch-0 records matter only until the peer is known to have our Finished (its first
            // application data, RFC 6347 §4.2.4); after that one could only be a forgery, which the library might
            // treat as a fatal error of the whole session.
            Interlocked.Increment(ref Statistics._recordsDiscarded);
            return;
        }
        Deliver(session, datagram, length, peer, from, plaintext);
    }

    /// <summary>Hands a datagram to a session's handshake (a full queue drops it, counted); false if the handshake has just ended.</summary>
    private bool OfferHandshake(DtlsSession session, ReadOnlySpan<byte> datagram, in DtlsRecordHeader header, SocketAddress? movedFrom)
    {
        var offer = session.OfferHandshake(datagram, header, movedFrom);
        if (offer == DtlsSession.HandshakeOffer.Full) Interlocked.Increment(ref Statistics._recordsQueueFull);
        return offer != DtlsSession.HandshakeOffer.Over;
    }

    /// <summary>Decrypts an established session's datagram and queues its application data for the endpoint.</summary>
    private void Deliver(DtlsSession session, byte[] datagram, int length, PeerAddress peer, SocketAddress from, byte[] plaintext)
    {
        bool closed = false;
        PeerAddress? movedFrom = null;
        lock (session.Gate)
        {
            if (!session.IsEstablished) return;
            int received;
            try
            {
                received = session.Decrypt(datagram, length, plaintext);
            }
            catch (IOException)
            {
                received = -1; // a fatal alert from the peer, or the record layer failed: the session is over
                closed = true;
            }
            closed |= session.IsClosed;
            if (received < 0)
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
                Push(session, plaintext, received);
                try
                {
                    while ((received = session.ReceivePending(plaintext)) >= 0) Push(session, plaintext, received);
                }
                catch (IOException)
                {
                    closed = true;
                }
            }
        }
        if (closed)
        {
            Remove(session, "closed by the peer or a fatal error", notify: false, closed: true);
            return;
        }
        if (movedFrom is { } old) Rebound(session, old, peer);
    }

    private void Push(DtlsSession session, byte[] plaintext, int length)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
        plaintext.AsSpan(0, length).CopyTo(buffer);
        bool added;
        try { added = _inbox.TryAdd(new Inbound(session, buffer, length)); }
        catch (InvalidOperationException) { added = false; }
        if (!added)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            Interlocked.Increment(ref Statistics._recordsQueueFull);
        }
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
        var sender = new CookieSender(_socket, from);
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
            Interlocked.Increment(ref Statistics._handshakesCompleted);
            DtlsLog.Established(_logger, session.ToString(), server.Credential, server.Device ?? "(token in the URI)", server.CipherSuiteName);
            // Records that arrived between the peer's Finished and now (a request sent right after the handshake).
            var plaintext = new byte[ReceiveLimit];
            foreach (var (datagram, movedFrom) in backlog)
            {
                var from = movedFrom ?? session.SendAddress;
                Deliver(session, datagram, datagram.Length, PeerAddress.From(from), from, plaintext);
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
                var reason = Classify(e, server, session);
                Interlocked.Increment(ref Statistics._failures[(int)reason]);
                DtlsLog.HandshakeFailed(_logger, session.ToString(), reason, Detail(e));
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
        Interlocked.Increment(ref Statistics._failures[(int)reason]);
        DtlsLog.HandshakeFailed(_logger, session.ToString(), reason, why);
        Remove(session, why, notify: false);
    }

    /// <summary>A handshake past its time: if the peer's PSK identity was known and it sent its Finished, its key differs.</summary>
    private static DtlsHandshakeFailure TimeoutReason(DtlsSession session) =>
        session.Server is { PskIdentityKnown: true } && session.SawEncryptedHandshakeRecord ? DtlsHandshakeFailure.BadKey : DtlsHandshakeFailure.Timeout;

    internal static DtlsHandshakeFailure Classify(Exception e, GatewayTlsServer server, DtlsSession session)
    {
        if (server.Failure is { } failure) return failure;
        return e switch
        {
            TlsFatalAlertReceived => DtlsHandshakeFailure.PeerAlert,
            // A wrong PSK shows as silence: the peer's Finished fails its MAC and is discarded (RFC 6347 §4.1.2.7).
            TlsTimeoutException => TimeoutReason(session),
            TlsFatalAlert alert => alert.AlertDescription switch
            {
                AlertDescription.unknown_psk_identity => DtlsHandshakeFailure.UnknownIdentity,
                AlertDescription.handshake_failure or AlertDescription.insufficient_security or AlertDescription.protocol_version => DtlsHandshakeFailure.NoCommonParameters,
                AlertDescription.bad_certificate or AlertDescription.unsupported_certificate or AlertDescription.certificate_expired
                    or AlertDescription.certificate_unknown or AlertDescription.unknown_ca => DtlsHandshakeFailure.BadCertificate,
                AlertDescription.decrypt_error or AlertDescription.bad_record_mac when server.PskIdentityKnown => DtlsHandshakeFailure.BadKey,
                AlertDescription.decrypt_error when server.Credential == "certificate" => DtlsHandshakeFailure.BadCertificate,
                _ => DtlsHandshakeFailure.Protocol,
            },
            _ => DtlsHandshakeFailure.Protocol,
        };
    }

    private static string Detail(Exception e) => e switch
    {
        TlsFatalAlertReceived received => "peer sent " + AlertDescription.GetText(received.AlertDescription),
        TlsFatalAlert alert => "sent " + AlertDescription.GetText(alert.AlertDescription),
        TlsTimeoutException => "timed out",
        _ => e.GetType().Name,
    };

    /// <summary>Drops idle sessions and handshakes past their time, on the transport's clock (the library's own wall-clock timer is a later backstop).</summary>
    internal void Sweep()
    {
        long now = _time.GetTimestamp();
        foreach (var session in _byKey.Values)
        {
            if (session.IsHandshaking && _time.GetElapsedTime(session.Created, now) > _options.HandshakeTimeout)
            {
                AbortHandshake(session, TimeoutReason(session), "timed out");
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
        _loop?.Join(TimeSpan.FromSeconds(5));
        _handshakeWorkers.Dispose(); // after the loop: nothing starts a handshake any more
        _inbox.CompleteAdding();
        while (_inbox.TryTake(out var item)) ArrayPool<byte>.Shared.Return(item.Buffer);
    }

    private readonly record struct Inbound(DtlsSession Session, byte[] Buffer, int Length);

    /// <summary>Sends the HelloVerifyRequest of a cookie exchange, and remembers that it did.</summary>
    private sealed class CookieSender(IDatagramTransport socket, SocketAddress to) : DatagramSender
    {
        public bool Sent;

        public int GetSendLimit() => 1232;

        public void Send(byte[] buf, int off, int len) => Send(buf.AsSpan(off, len));

        public void Send(ReadOnlySpan<byte> buffer)
        {
            Sent = true;
            socket.Send(buffer, to);
        }
    }
}
