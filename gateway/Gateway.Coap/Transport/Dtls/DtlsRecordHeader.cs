using System.Buffers.Binary;

namespace Gateway.Coap.Transport.Dtls;

/// <summary>
/// The clear-text header of the first DTLS record in a datagram (RFC 6347 §4.1; RFC 9146 §4 for
/// <c>tls12_cid</c>), read without allocating so the receive loop can route or drop a datagram
/// before any cryptography or per-peer state. Pure: any input gives a header or false.
/// </summary>
public readonly record struct DtlsRecordHeader(byte ContentType, ushort Version, ushort Epoch, long SequenceNumber, int ConnectionIdOffset, int ConnectionIdLength, int FragmentLength)
{
    public const byte ChangeCipherSpec = 20, Alert = 21, Handshake = 22, ApplicationData = 23, Tls12Cid = 25;

    /// <summary>type(1) version(2) epoch(2) sequence_number(6) length(2).</summary>
    public const int PlainHeaderLength = 13;

    private const byte HandshakeClientHello = 1;

    /// <summary>
    /// Reads the first record's header. <paramref name="connectionIdLength"/> is the length of the
    /// connection ids this server issues (RFC 9146 §4: the length is not on the wire; the receiver
    /// knows it). False for anything that is not a plausible DTLS 1.0/1.2 record.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> datagram, int connectionIdLength, out DtlsRecordHeader header)
    {
        header = default;
        if (datagram.Length < PlainHeaderLength) return false;
        byte type = datagram[0];
        if (type is not (ChangeCipherSpec or Alert or Handshake or ApplicationData or Tls12Cid)) return false;
        ushort version = BinaryPrimitives.ReadUInt16BigEndian(datagram[1..]);
        // DTLS 1.0 (0xFEFF) on a first ClientHello, DTLS 1.2 (0xFEFD) after it (RFC 6347 §4.2.1).
        if (version is not (0xFEFF or 0xFEFD)) return false;
        ushort epoch = BinaryPrimitives.ReadUInt16BigEndian(datagram[3..]);
        long sequence = (long)(BinaryPrimitives.ReadUInt64BigEndian(datagram[3..]) & 0xFFFF_FFFF_FFFF);
        int cidOffset = 0, cidLength = 0, lengthOffset = 11;
        if (type == Tls12Cid)
        {
            if (connectionIdLength <= 0 || datagram.Length < PlainHeaderLength + connectionIdLength) return false;
            cidOffset = 11;
            cidLength = connectionIdLength;
            lengthOffset = 11 + connectionIdLength;
        }
        int length = BinaryPrimitives.ReadUInt16BigEndian(datagram[lengthOffset..]);
        // A record never spans datagrams (RFC 6347 §4.1.1); 2^14 + 2048 bounds any ciphertext (§4.1.2.3 via RFC 5246 §6.2.3).
        if (length > 16384 + 2048 || lengthOffset + 2 + length > datagram.Length) return false;
        header = new DtlsRecordHeader(type, version, epoch, sequence, cidOffset, cidLength, length);
        return true;
    }

    /// <summary>
    /// An unencrypted ClientHello (epoch 0, handshake type 1) — the only record a peer without a
    /// session may send (RFC 6347 §4.2.1).
    /// </summary>
    public static bool IsClientHello(ReadOnlySpan<byte> datagram, in DtlsRecordHeader header) =>
        header.ContentType == Handshake && header.Epoch == 0 && header.FragmentLength > 0
        && datagram.Length > PlainHeaderLength && datagram[PlainHeaderLength] == HandshakeClientHello;

    /// <summary>
    /// Whether every record in the datagram is well framed and each encrypted one (epoch ≥ 1) is at least
    /// <paramref name="minCiphertextLength"/> long. Pure; walks the records without allocating.
    /// </summary>
    public static bool AllRecordsDecodable(ReadOnlySpan<byte> datagram, int connectionIdLength, int minCiphertextLength)
    {
        while (datagram.Length > 0)
        {
            if (!TryRead(datagram, connectionIdLength, out var header)) return false;
            if (header.Epoch > 0 && header.FragmentLength < minCiphertextLength) return false;
            int headerLength = PlainHeaderLength + header.ConnectionIdLength;
            datagram = datagram[(headerLength + header.FragmentLength)..];
        }
        return true;
    }
}
