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

    /// <summary>
    /// The reason in a few words: the debug log's text, and the diagnostic payload of the 4.00 a
    /// Confirmable request gets (RFC 7252 §5.5.2: brief). The texts sent on the wire are at most
    /// 10 bytes (16 for <see cref="CoapDecodeErrorKind.OptionNumberOverflow"/>), so they fit whole in
    /// the answer to the smallest request that can carry them: 5 bytes (header and one option
    /// byte) allow 3 × 5 = 15 bytes back (§11.3), 5 of which are header and payload marker.
    /// </summary>
    public string Describe() => Kind switch
    {
        CoapDecodeErrorKind.TruncatedHeader => "shorter than a header",
        CoapDecodeErrorKind.UnknownVersion => "version not 1",
        CoapDecodeErrorKind.InvalidTokenLength => "TKL 9-15 reserved",
        CoapDecodeErrorKind.TruncatedToken => "token cut short",
        CoapDecodeErrorKind.NonEmptyEmptyMessage => "0.00 with bytes",
        CoapDecodeErrorKind.ReservedOptionNibble => "nibble 15",
        CoapDecodeErrorKind.TruncatedOption => "option cut",
        CoapDecodeErrorKind.OptionNumberOverflow => "option > 65535",
        CoapDecodeErrorKind.EmptyPayloadAfterMarker => "no payload",
        _ => "no error",
    };}
