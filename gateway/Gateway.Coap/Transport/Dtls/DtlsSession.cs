using System.Net;
using System.Net.Sockets;
using Org.BouncyCastle.Tls;

namespace Gateway.Coap.Transport.Dtls;

/// <summary>
/// One peer's DTLS state: its handshake (run on a handshake worker's thread, fed through a bounded queue) and then
/// its record layer (fed one datagram at a time by the receive threads, under the session's lock). To the
/// library it is the <see cref="DatagramTransport"/> of that peer; records it sends go out on the
/// shared socket to the peer's current address.
/// <para>The session's <see cref="Key"/> is the address it was established from and stays its name
/// for the CoAP layer (deduplication, exchanges, Observe), also after the peer moves to another
/// address with its connection id (RFC 9146 §6).</para>
/// </summary>
internal sealed class DtlsSession : DatagramTransport
{
    private const int Handshaking = 0, Established = 1, Closed = 2;

    private readonly IDatagramTransport _socket;
    private readonly HandshakeInbox<HandshakeDatagram> _handshakeQueue;
    private readonly int _receiveLimit, _sendLimit;
    private int _state;
    // The datagram a receive thread hands the record layer (established sessions; set and cleared under the lock).
    private byte[]? _slot;
    private int _slotLength;
    // The handshake's outgoing flight, gathered until it waits for the peer (handshake thread only).
    private byte[]? _flight;
    private int _flightLength;
    // Where the peer is now, swapped as one reference so a reader never sees half of a rebinding.
    private volatile Location _location;

    public DtlsSession(IDatagramTransport socket, PeerAddress key, SocketAddress keyAddress, long now, int queueLength, int receiveLimit, int sendLimit)
    {
        _socket = socket;
        Key = key;
        KeyAddress = keyAddress;
        _location = new Location(key, keyAddress);
        Created = LastActivity = now;
        _handshakeQueue = new HandshakeInbox<HandshakeDatagram>(queueLength);
        _receiveLimit = receiveLimit;
        _sendLimit = sendLimit;
        RecordCallback = flags => LastRecordFlags = flags;
    }

    /// <summary>Serialises the record layer: receive threads, senders and the sweeper.</summary>
    public object Gate { get; } = new();

    public PeerAddress Key { get; }

    /// <summary><see cref="Key"/> as a socket address, reported to the CoAP layer as the sender.</summary>
    public SocketAddress KeyAddress { get; }

    /// <summary>Where the peer is now (differs from <see cref="Key"/> after a rebinding).</summary>
    public PeerAddress Address => _location.Address;

    public SocketAddress SendAddress => _location.SendAddress;

    public long Created { get; }

    public long LastActivity { get; set; }

    public bool IsHandshaking => Volatile.Read(ref _state) == Handshaking;

    public bool IsEstablished => Volatile.Read(ref _state) == Established;

    public bool IsClosed => Volatile.Read(ref _state) == Closed;

    /// <summary>Set when the handshake was cut short by eviction, its timeout or shutdown.</summary>
    public bool Aborted { get; private set; }

    /// <summary>The server side of the handshake (who the peer claims to be so far), set before it starts.</summary>
    public GatewayTlsServer? Server { get; set; }

    /// <summary>The peer sent an encrypted (epoch ≥ 1) record during the handshake: it got as far as its Finished.</summary>
    public bool SawEncryptedHandshakeRecord { get; private set; }

    public DtlsTransport? Dtls { get; private set; }

    /// <summary>The shortest encrypted fragment the negotiated cipher can decode (explicit nonce plus tag).</summary>
    public int MinCiphertextLength { get; private set; }

    /// <summary>The peer sent application data: it has our Finished, so its handshake records are over for good.</summary>
    public bool PeerConfirmed { get; set; }

    public string? Identity { get; private set; }

    /// <summary>The connection id issued to the peer (RFC 9146), set when the handshake issues it.</summary>
    public byte[]? ConnectionId { get; set; }

    public DtlsRecordCallback RecordCallback { get; }

    public DtlsRecordFlags LastRecordFlags { get; set; }

    /// <summary>How often the record layer asked an established session for a datagram beyond the one being decrypted.</summary>
    internal long ReadsPastDatagram { get; private set; }

    /// <summary>
    /// Queues a datagram (copied) for the handshake, with the address it came from when that is not the session's
    /// (a peer that moved right after its Finished). Under the session's lock, so a datagram is either queued before
    /// <see cref="Establish"/> takes the queue as its backlog, or refused with <see cref="HandshakeOffer.Over"/>
    /// and then the caller hands it to the record layer: no window in which it is lost.
    /// </summary>
    public HandshakeOffer OfferHandshake(ReadOnlySpan<byte> datagram, in DtlsRecordHeader header, SocketAddress? movedFrom)
    {
        lock (Gate)
        {
            if (!IsHandshaking) return HandshakeOffer.Over;
            if (header.Epoch > 0) SawEncryptedHandshakeRecord = true;
            return _handshakeQueue.TryAdd(new HandshakeDatagram(datagram.ToArray(), movedFrom)) ? HandshakeOffer.Queued : HandshakeOffer.Full;
        }
    }

    /// <summary>
    /// The handshake succeeded: from now on records arrive through <see cref="Decrypt"/>. Returns the datagrams that
    /// arrived meanwhile, or null if the session was closed first (evicted, timed out, shut down): it stays closed.
    /// </summary>
    public List<HandshakeDatagram>? Establish(DtlsTransport dtls, string? identity, int minCiphertextLength)
    {
        FlushFlight(); // the final flight: the handshake returns without waiting for the peer again
        lock (Gate)
        {
            if (IsClosed) return null;
            MinCiphertextLength = minCiphertextLength;
            Dtls = dtls;
            Identity = identity;
            Volatile.Write(ref _state, Established);
            _handshakeQueue.CompleteAdding();
            var backlog = new List<HandshakeDatagram>();
            while (_handshakeQueue.TryTake(out var datagram)) backlog.Add(datagram);
            return backlog;
        }
    }

    /// <summary>
    /// Feeds one datagram to the record layer and returns the application data of its first record
    /// (-1 if none: a handshake retransmission, an alert, or a record silently discarded). Call under
    /// the session's lock. Further records of the same datagram are read with <see cref="ReceivePending"/>.
    /// </summary>
    public int Decrypt(byte[] datagram, int length, Span<byte> plaintext)
    {
        _slot = datagram;
        _slotLength = length;
        LastRecordFlags = DtlsRecordFlags.None;
        try
        {
            // waitMillis 1: the library's smallest wait (0 means forever); our Receive never blocks or polls here.
            return Dtls!.Receive(plaintext, 1, RecordCallback);
        }
        finally
        {
            _slot = null;
        }
    }

    public int ReceivePending(Span<byte> plaintext) => Dtls!.ReceivePending(plaintext, RecordCallback);

    /// <summary>
    /// Moves the session to the address an authenticated, newest record came from (RFC 9146 §6). Called under the
    /// session's lock before that record's data is handed on, so the answer to it already goes to the new address.
    /// </summary>
    public void Rebind(PeerAddress address, SocketAddress socketAddress) => _location = new Location(address, socketAddress);

    /// <summary>
    /// Ends the handshake or the session; an established one sends close_notify first if <paramref name="notify"/>.
    /// False if it was already closed. Completing the handshake queue wakes the handshake thread's blocked receive.
    /// </summary>
    public bool Close(bool notify, bool aborted = false)
    {
        lock (Gate)
        {
            if (IsClosed) return false;
            Aborted |= aborted;
            bool wasEstablished = IsEstablished;
            Volatile.Write(ref _state, Closed);
            _handshakeQueue.CompleteAdding();
            if (wasEstablished && notify)
            {
                try { Dtls?.Close(); }
                catch (IOException) { } // the peer is gone anyway
            }
            return true;
        }
    }

    // --- DatagramTransport: what the BouncyCastle record layer reads from and writes to ---

    // While a datagram is decrypted, the record layer allocates its record buffer by this on every read: the datagram's
    // own length (a few dozen bytes for a GET) instead of the 2 KB limit.
    public int GetReceiveLimit() => _slot is not null ? _slotLength : _receiveLimit;

    public int GetSendLimit() => _sendLimit;

    public int Receive(byte[] buf, int off, int len, int waitMillis) => Receive(buf.AsSpan(off, len), waitMillis);

    public int Receive(Span<byte> buffer, int waitMillis)
    {
        if (!IsHandshaking)
        {
            // Established: exactly the datagram the receive thread is decrypting, once; never block.
            if (_slot is not { } slot || _slotLength > buffer.Length)
            {
                _slot = null;
                // Asked again: that datagram held no application data (an alert, a handshake retransmission, or a record
                // discarded as a replay or forgery, which RFC 6347 §4.1.2.6 and §4.1.2.7 drop silently). Returning -1 would
                // have the record layer poll for the rest of its wait, a busy loop of up to 1 ms on the receive thread per
                // such record; this alert ends the read at once, and because the server ignores corrupt records
                // (GatewayTlsServer.IgnoreCorruptDtlsRecords) DtlsTransport.Receive turns it into -1 and keeps the
                // session. Every record of the datagram was processed before the record layer asks for the next one.
                ReadsPastDatagram++;
                throw new TlsFatalAlert(AlertDescription.bad_record_mac);
            }
            _slot = null;
            slot.AsSpan(0, _slotLength).CopyTo(buffer);
            return _slotLength;
        }
        FlushFlight();
        var datagram = _handshakeQueue.TryTake(out var item, waitMillis) ? item.Bytes : null;
        if (datagram is null)
        {
            // Evicted or shut down: abort the handshake now instead of waiting out its timeout.
            if (Aborted || IsClosed) throw new IOException("DTLS handshake aborted");
            return -1; // the library's retransmission timer runs on
        }
        if (datagram.Length > buffer.Length) return -1;
        datagram.CopyTo(buffer);
        return datagram.Length;
    }

    public void Send(byte[] buf, int off, int len) => Send(buf.AsSpan(off, len));

    public void Send(ReadOnlySpan<byte> buffer)
    {
        // A handshake flight's records (each handshake message is a record of its own) leave together, as one datagram
        // up to the send limit (RFC 6347 §4.1.1), when the handshake next waits for the peer or ends: one send and one
        // wake-up of the peer per flight instead of one per message. Only the handshake's own thread sends meanwhile.
        if (IsHandshaking)
        {
            _flight ??= new byte[_sendLimit];
            if (_flightLength + buffer.Length > _flight.Length) FlushFlight();
            if (buffer.Length <= _flight.Length)
            {
                buffer.CopyTo(_flight.AsSpan(_flightLength));
                _flightLength += buffer.Length;
                return;
            }
        }
        SendNow(buffer);
    }

    /// <summary>Sends the records of the handshake's flight so far; called by the handshake's thread.</summary>
    public void FlushFlight()
    {
        if (_flightLength == 0) return;
        int length = _flightLength;
        _flightLength = 0;
        SendNow(_flight.AsSpan(0, length));
    }

    private void SendNow(ReadOnlySpan<byte> datagram)
    {
        if (!IsClosed || datagram.Length <= 64) _socket.Send(datagram, SendAddress); // after a close, only its alert
    }

    /// <summary>The record layer closed (close_notify, a fatal alert or failure): the owner drops the session.</summary>
    public void Close() => Volatile.Write(ref _state, Closed);

    public override string ToString() => Key.ToString();

    private sealed record Location(PeerAddress Address, SocketAddress SendAddress);

    /// <summary>A datagram for a handshake; <paramref name="MovedFrom"/> is its source when that is not the session's address.</summary>
    public readonly record struct HandshakeDatagram(byte[] Bytes, SocketAddress? MovedFrom);

    public enum HandshakeOffer
    {
        Queued,
        Full,
        /// <summary>The handshake has ended: an established session's record layer takes the datagram.</summary>
        Over,
    }
}
