using System.Buffers.Binary;
using System.Text.Unicode;

namespace Gateway.Cbor;

/// <summary>
/// Non-throwing decoding of initial bytes, arguments and string bodies, shared by
/// <see cref="CborReader"/> (which turns errors into exceptions) and its validator (which does not),
/// so the two cannot disagree about what is well-formed.
/// </summary>
internal static class CborHeader
{
    public const byte Break = 0xFF;

    // RFC 8949 §3.2.1: additional information 31 means "indefinite length" (or break in major type 7).
    public const int IndefiniteLength = 31;

    public static CborMajorType MajorType(byte initialByte) => (CborMajorType)(initialByte >> 5);

    public static int AdditionalInfo(byte initialByte) => initialByte & 0x1F;

    /// <summary>
    /// Decodes the argument of the data item at the start of <paramref name="data"/> (RFC 8949 §3:
    /// additional information 0..23 is the value, 24..27 announce 1, 2, 4 or 8 following bytes).
    /// Not for major type 7, whose additional information means simple value or float width.
    /// </summary>
    public static CborContentError TryDecodeArgument(
        ReadOnlySpan<byte> data, CborConformanceMode mode, out ulong argument, out int headerLength, out bool indefinite)
    {
        argument = 0;
        headerLength = 0;
        indefinite = false;
        if (data.IsEmpty)
        {
            return CborContentError.EndOfData;
        }

        byte initialByte = data[0];
        int ai = AdditionalInfo(initialByte);
        CborMajorType major = MajorType(initialByte);
        switch (ai)
        {
            case < 24:
                argument = (ulong)ai;
                headerLength = 1;
                return CborContentError.None;
            case 24:
                if (data.Length < 2) return CborContentError.EndOfData;
                argument = data[1];
                headerLength = 2;
                // RFC 8949 §4.2.1: "0 to 23 ... MUST be expressed in the same byte as the major type".
                return mode >= CborConformanceMode.Canonical && argument < 24 ? CborContentError.NonCanonicalArgument : CborContentError.None;
            case 25:
                if (data.Length < 3) return CborContentError.EndOfData;
                argument = BinaryPrimitives.ReadUInt16BigEndian(data.Slice(1));
                headerLength = 3;
                return mode >= CborConformanceMode.Canonical && argument <= byte.MaxValue ? CborContentError.NonCanonicalArgument : CborContentError.None;
            case 26:
                if (data.Length < 5) return CborContentError.EndOfData;
                argument = BinaryPrimitives.ReadUInt32BigEndian(data.Slice(1));
                headerLength = 5;
                return mode >= CborConformanceMode.Canonical && argument <= ushort.MaxValue ? CborContentError.NonCanonicalArgument : CborContentError.None;
            case 27:
                if (data.Length < 9) return CborContentError.EndOfData;
                argument = BinaryPrimitives.ReadUInt64BigEndian(data.Slice(1));
                headerLength = 9;
                return mode >= CborConformanceMode.Canonical && argument <= uint.MaxValue ? CborContentError.NonCanonicalArgument : CborContentError.None;
            case IndefiniteLength:
                // RFC 8949 §3.2: only byte/text strings, arrays and maps may be indefinite.
                if (major is CborMajorType.UnsignedInteger or CborMajorType.NegativeInteger or CborMajorType.Tag)
                {
                    return CborContentError.IndefiniteLengthNotAllowed;
                }

                indefinite = true;
                headerLength = 1;
                return mode >= CborConformanceMode.Canonical ? CborContentError.NonCanonicalIndefiniteLength : CborContentError.None;
            default:
                // RFC 8949 §3: 28..30 are reserved; Appendix F.1 lists them as not well-formed.
                return CborContentError.ReservedAdditionalInfo;
        }
    }

    /// <summary>
    /// Decodes a definite-length string header at the start of <paramref name="data"/> and checks that
    /// the body is present. The length is compared with the bytes that remain before anything is
    /// allocated, so a hostile declared length costs nothing.
    /// </summary>
    public static CborContentError TryDecodeDefiniteString(
        ReadOnlySpan<byte> data, CborConformanceMode mode, out int headerLength, out int bodyLength)
    {
        bodyLength = 0;
        CborContentError error = TryDecodeArgument(data, mode, out ulong length, out headerLength, out bool indefinite);
        if (error != CborContentError.None) return error;
        if (indefinite) return CborContentError.InvalidIndefiniteLengthChunk;
        if (length > (ulong)(data.Length - headerLength)) return CborContentError.LengthExceedsRemainingBytes;
        bodyLength = (int)length;
        return CborContentError.None;
    }

    /// <summary>RFC 8949 §3.1 / §5.3.1: text strings must be valid UTF-8 in Strict and Canonical.</summary>
    public static CborContentError CheckText(ReadOnlySpan<byte> utf8, CborConformanceMode mode) =>
        mode >= CborConformanceMode.Strict && !Utf8.IsValid(utf8) ? CborContentError.InvalidUtf8 : CborContentError.None;

    /// <summary>
    /// Walks an indefinite-length string starting at its 0x5f/0x7f byte: chunks must be definite
    /// strings of the same major type (RFC 8949 §3.2.3), and each text chunk must be valid UTF-8 on
    /// its own because chunk boundaries may not split a character.
    /// </summary>
    public static CborContentError TryWalkIndefiniteString(
        ReadOnlySpan<byte> data, CborMajorType major, CborConformanceMode mode, out int encodedLength, out int totalBodyLength)
    {
        encodedLength = 0;
        totalBodyLength = 0;
        int offset = 1;
        while (true)
        {
            if (offset >= data.Length) return CborContentError.EndOfData;
            byte b = data[offset];
            if (b == Break)
            {
                encodedLength = offset + 1;
                return CborContentError.None;
            }

            if (MajorType(b) != major || AdditionalInfo(b) == IndefiniteLength)
            {
                return CborContentError.InvalidIndefiniteLengthChunk;
            }

            CborContentError error = TryDecodeDefiniteString(data.Slice(offset), mode, out int header, out int body);
            if (error != CborContentError.None) return error;
            if (major == CborMajorType.TextString)
            {
                error = CheckText(data.Slice(offset + header, body), mode);
                if (error != CborContentError.None) return error;
            }

            offset += header + body;
            totalBodyLength += body; // cannot overflow: bounded by data.Length
        }
    }

    /// <summary>Copies the chunk bodies of an indefinite-length string already checked by <see cref="TryWalkIndefiniteString"/>.</summary>
    public static void ConcatenateChunks(ReadOnlySpan<byte> data, Span<byte> destination)
    {
        int offset = 1;
        int written = 0;
        while (data[offset] != Break)
        {
            TryDecodeDefiniteString(data.Slice(offset), CborConformanceMode.Lax, out int header, out int body);
            data.Slice(offset + header, body).CopyTo(destination.Slice(written));
            written += body;
            offset += header + body;
        }
    }

    /// <summary>
    /// Checks a major-type-7 item that is a float or a two-byte simple value and returns its length.
    /// </summary>
    public static CborContentError TryDecodeSimpleOrFloat(ReadOnlySpan<byte> data, CborConformanceMode mode, out int length)
    {
        length = 0;
        int ai = AdditionalInfo(data[0]);
        switch (ai)
        {
            case < 24:
                length = 1;
                return CborContentError.None;
            case 24:
                if (data.Length < 2) return CborContentError.EndOfData;
                // RFC 8949 §3.3: "an encoder MUST NOT issue two-byte sequences that start with 0xf8
                // and continue with a byte less than 0x20"; Appendix F.1 treats them as not well-formed.
                if (data[1] < 32) return CborContentError.InvalidSimpleValueEncoding;
                length = 2;
                return CborContentError.None;
            case 25:
            case 26:
            case 27:
                length = 1 + (1 << (ai - 24));
                if (data.Length < length) return CborContentError.EndOfData;
                return mode >= CborConformanceMode.Canonical && !CborFloat.IsShortest(data.Slice(0, length))
                    ? CborContentError.NonCanonicalFloat
                    : CborContentError.None;
            case IndefiniteLength:
                return CborContentError.UnexpectedBreak;
            default:
                return CborContentError.ReservedAdditionalInfo;
        }
    }
}
