using Gateway.Coap.Messages;

namespace Gateway.Coap.Codec;

/// <summary>
/// A decode failure and whatever header fields were read before it, so the reaction (ignore, RST,
/// or a 4.xx that echoes the token) can be decided without parsing again (Californium's two tiers
/// of format exception, as one value).
/// </summary>
public readonly record struct CoapDecodeError(
    CoapDecodeErrorKind Kind,
    bool HasHeader,
    CoapMessageType Type,
    CoapCode Code,
    ushort MessageId,
    bool HasToken,
    ulong TokenValue,
    byte TokenLength)
{
    public static CoapDecodeError Headerless(CoapDecodeErrorKind kind) => new(kind, false, default, default, 0, false, 0, 0);

    /// <summary>The token bytes (valid when <see cref="HasToken"/>), for an error response that must echo it.</summary>
    public byte[] GetToken()
    {
        var token = new byte[TokenLength];
        ulong v = TokenValue;
        for (int i = TokenLength - 1; i >= 0; i--, v >>= 8) token[i] = (byte)v;
        return token;
    }

    public string Describe() => Kind switch
    {
        CoapDecodeErrorKind.TruncatedHeader => "datagram shorter than the 4-byte header",
        CoapDecodeErrorKind.UnknownVersion => "unknown CoAP version",
        CoapDecodeErrorKind.InvalidTokenLength => "token length 9-15 is reserved",
        CoapDecodeErrorKind.TruncatedToken => "token runs past the end of the datagram",
        CoapDecodeErrorKind.NonEmptyEmptyMessage => "Empty message (0.00) with bytes after the Message ID",
        CoapDecodeErrorKind.ReservedOptionNibble => "option delta or length nibble 15 is reserved",
        CoapDecodeErrorKind.TruncatedOption => "option runs past the end of the datagram",
        CoapDecodeErrorKind.OptionNumberOverflow => "option number above 65535",
        CoapDecodeErrorKind.EmptyPayloadAfterMarker => "payload marker followed by no payload",
        _ => "no error",
    };
}
