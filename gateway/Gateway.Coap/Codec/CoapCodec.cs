using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using Gateway.Coap.Messages;

namespace Gateway.Coap.Codec;

/// <summary>
/// The RFC 7252 §3 message format. Pure: no I/O, no policy, never throws on untrusted input
/// (decode returns an error value), and allocates only the decoded message and its option array
/// (nothing when decoding into a reusable message); option values and the payload are slices of
/// the input memory.
/// </summary>
public static class CoapCodec
{
    public const int HeaderLength = 4;
    private const byte PayloadMarker = 0xFF;
    private const int Version = 1;

    /// <summary>Decodes one datagram. Option values and payload alias <paramref name="datagram"/>.</summary>
    public static bool TryDecode(ReadOnlyMemory<byte> datagram, [NotNullWhen(true)] out CoapMessage? message, out CoapDecodeError error) =>
        TryDecode(datagram, reuse: null, out message, out error);

    /// <summary>
    /// Decodes into <paramref name="reuse"/> (a <see cref="CoapMessage.CreateReusable"/> instance,
    /// overwritten, its option arrays reused) when given: the receive loop's allocation-free path.
    /// </summary>
    internal static bool TryDecode(ReadOnlyMemory<byte> datagram, CoapMessage? reuse, [NotNullWhen(true)] out CoapMessage? message, out CoapDecodeError error)
    {
        message = null;
        var span = datagram.Span;
        if (span.Length < HeaderLength)
        {
            error = CoapDecodeError.Headerless(CoapDecodeErrorKind.TruncatedHeader);
            return false;
        }

        // §3: Ver | T | TKL, Code, Message ID.
        int version = span[0] >> 6;
        var type = (CoapMessageType)((span[0] >> 4) & 3);
        int tokenLength = span[0] & 0x0F;
        var code = new CoapCode(span[1]);
        ushort messageId = BinaryPrimitives.ReadUInt16BigEndian(span[2..]);
        var header = new CoapDecodeError(CoapDecodeErrorKind.None, true, type, code, messageId, false, 0, 0);

        if (version != Version)
        {
            error = header with { Kind = CoapDecodeErrorKind.UnknownVersion };
            return false;
        }
        if (tokenLength > CoapMessage.MaxTokenLength)
        {
            error = header with { Kind = CoapDecodeErrorKind.InvalidTokenLength };
            return false;
        }
        if (code.IsEmpty && span.Length != HeaderLength)
        {
            // §4.1: an Empty message has TKL 0 and nothing after the Message ID.
            error = header with { Kind = CoapDecodeErrorKind.NonEmptyEmptyMessage };
            return false;
        }
        if (span.Length < HeaderLength + tokenLength)
        {
            error = header with { Kind = CoapDecodeErrorKind.TruncatedToken };
            return false;
        }

        ulong tokenValue = 0;
        foreach (byte b in span.Slice(HeaderLength, tokenLength)) tokenValue = (tokenValue << 8) | b;
        header = header with { HasToken = true, TokenValue = tokenValue, TokenLength = (byte)tokenLength };

        int position = HeaderLength + tokenLength;
        int optionCount = CountOptions(span, position, out var kind, out int payloadStart);
        if (kind != CoapDecodeErrorKind.None)
        {
            error = header with { Kind = kind };
            return false;
        }

        var options = reuse is null ? (optionCount == 0 ? [] : new CoapOption[optionCount]) : reuse.OptionStorage(optionCount);
        int number = 0;
        for (int i = 0; i < optionCount; i++)
        {
            ReadOptionHeader(span, ref position, out int delta, out int length);
            number += delta;
            options[i] = new CoapOption((ushort)number, datagram.Slice(position, length));
            position += length;
        }

        var payload = payloadStart < 0 ? ReadOnlyMemory<byte>.Empty : datagram[payloadStart..];
        var token = datagram.Slice(HeaderLength, tokenLength);
        if (reuse is null) message = new CoapMessage(type, code, messageId, token, options, payload, trusted: true);
        else
        {
            reuse.Overwrite(type, code, messageId, token, options, payload);
            message = reuse;
        }
        error = header;
        return true;
    }

    // First pass: validates the option/payload structure and counts options, so the second
    // pass can fill an exactly-sized array with no bounds checks left to fail.
    private static int CountOptions(ReadOnlySpan<byte> span, int position, out CoapDecodeErrorKind kind, out int payloadStart)
    {
        int count = 0, number = 0;
        payloadStart = -1;
        kind = CoapDecodeErrorKind.None;
        while (position < span.Length)
        {
            byte first = span[position];
            if (first == PayloadMarker)
            {
                // §3: a marker followed by a zero-length payload is a format error.
                if (position + 1 == span.Length) { kind = CoapDecodeErrorKind.EmptyPayloadAfterMarker; return 0; }
                payloadStart = position + 1;
                return count;
            }
            if ((first >> 4) == 15 || (first & 0x0F) == 15) { kind = CoapDecodeErrorKind.ReservedOptionNibble; return 0; }
            if (!TryReadOptionHeader(span, ref position, out int delta, out int length)) { kind = CoapDecodeErrorKind.TruncatedOption; return 0; }
            number += delta;
            if (number > ushort.MaxValue) { kind = CoapDecodeErrorKind.OptionNumberOverflow; return 0; }
            if (position + length > span.Length) { kind = CoapDecodeErrorKind.TruncatedOption; return 0; }
            position += length;
            count++;
        }
        return count;
    }

    private static bool TryReadOptionHeader(ReadOnlySpan<byte> span, ref int position, out int delta, out int length)
    {
        byte first = span[position++];
        length = 0;
        return TryReadExtended(span, ref position, first >> 4, out delta) && TryReadExtended(span, ref position, first & 0x0F, out length);
    }

    private static void ReadOptionHeader(ReadOnlySpan<byte> span, ref int position, out int delta, out int length) =>
        TryReadOptionHeader(span, ref position, out delta, out length);

    // §3.1: nibble 13 → one extra byte + 13; 14 → two extra bytes + 269.
    private static bool TryReadExtended(ReadOnlySpan<byte> span, ref int position, int nibble, out int value)
    {
        switch (nibble)
        {
            case 13:
                if (position + 1 > span.Length) { value = 0; return false; }
                value = span[position++] + 13;
                return true;
            case 14:
                if (position + 2 > span.Length) { value = 0; return false; }
                value = BinaryPrimitives.ReadUInt16BigEndian(span[position..]) + 269;
                position += 2;
                return true;
            default:
                value = nibble;
                return true;
        }
    }

    /// <summary>The exact number of bytes <see cref="Encode(CoapMessage, Span{byte})"/> writes.</summary>
    public static int GetEncodedLength(CoapMessage message) =>
        GetEncodedLength(message.Token.Length, message.Options, message.Payload.Length);

    public static int GetEncodedLength(int tokenLength, IReadOnlyList<CoapOption> options, int payloadLength)
    {
        int length = HeaderLength + tokenLength;
        int previous = 0;
        for (int i = 0; i < options.Count; i++)
        {
            var option = options[i];
            length += 1 + ExtendedSize(option.Number - previous) + ExtendedSize(option.Value.Length) + option.Value.Length;
            previous = option.Number;
        }
        if (payloadLength > 0) length += 1 + payloadLength;
        return length;
    }

    public static byte[] Encode(CoapMessage message)
    {
        var bytes = new byte[GetEncodedLength(message)];
        Encode(message, bytes);
        return bytes;
    }

    /// <summary>Encodes into <paramref name="destination"/>; throws if it is too small (a caller bug, not input).</summary>
    public static int Encode(CoapMessage message, Span<byte> destination) =>
        Encode(message.Type, message.Code, message.MessageId, message.Token.Span, message.Options, message.Payload.Span, destination);

    public static bool TryEncode(CoapMessage message, Span<byte> destination, out int written)
    {
        if (GetEncodedLength(message) > destination.Length) { written = 0; return false; }
        written = Encode(message, destination);
        return true;
    }

    /// <summary>
    /// Encodes from parts, so a response can be written straight into a send buffer without first
    /// building a <see cref="CoapMessage"/>. <paramref name="options"/> must be in ascending order.
    /// </summary>
    public static int Encode(CoapMessageType type, CoapCode code, ushort messageId, ReadOnlySpan<byte> token,
        IReadOnlyList<CoapOption> options, ReadOnlySpan<byte> payload, Span<byte> destination)
    {
        if (token.Length > CoapMessage.MaxTokenLength) throw new ArgumentException("A token is at most 8 bytes (RFC 7252 §3).", nameof(token));
        destination[0] = (byte)((Version << 6) | ((int)type << 4) | token.Length);
        destination[1] = code.Value;
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], messageId);
        token.CopyTo(destination[HeaderLength..]);
        int position = HeaderLength + token.Length;

        int previous = 0;
        for (int i = 0; i < options.Count; i++)
        {
            var option = options[i];
            int delta = option.Number - previous;
            if (delta < 0) throw new ArgumentException("Options must be sorted by number (RFC 7252 §3.1).", nameof(options));
            int length = option.Value.Length;
            int head = position++;
            int deltaNibble = WriteExtended(delta, destination, ref position);
            int lengthNibble = WriteExtended(length, destination, ref position);
            destination[head] = (byte)((deltaNibble << 4) | lengthNibble);
            option.Value.Span.CopyTo(destination[position..]);
            position += length;
            previous = option.Number;
        }

        if (!payload.IsEmpty)
        {
            destination[position++] = PayloadMarker;
            payload.CopyTo(destination[position..]);
            position += payload.Length;
        }
        return position;
    }

    private static int ExtendedSize(int value) => value < 13 ? 0 : value < 269 ? 1 : 2;

    private static int WriteExtended(int value, Span<byte> destination, ref int position)
    {
        if (value < 13) return value;
        if (value < 269)
        {
            destination[position++] = (byte)(value - 13);
            return 13;
        }
        BinaryPrimitives.WriteUInt16BigEndian(destination[position..], (ushort)(value - 269));
        position += 2;
        return 14;
    }
}
