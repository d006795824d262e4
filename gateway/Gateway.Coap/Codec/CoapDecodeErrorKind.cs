namespace Gateway.Coap.Codec;

/// <summary>Why a datagram is not a well-formed CoAP message (RFC 7252 §3, §4.1, §5.4).</summary>
public enum CoapDecodeErrorKind : byte
{
    None = 0,
    /// <summary>Fewer than the 4 header bytes: nothing to answer (§3).</summary>
    TruncatedHeader,
    /// <summary>Version is not 1: silently ignored (§3).</summary>
    UnknownVersion,
    /// <summary>TKL 9–15 is reserved and a message format error (§3).</summary>
    InvalidTokenLength,
    /// <summary>TKL says more token bytes than the datagram holds.</summary>
    TruncatedToken,
    /// <summary>Code 0.00 with a token, options or payload (§4.1).</summary>
    NonEmptyEmptyMessage,
    /// <summary>An option delta or length nibble of 15 that is not the payload marker (§3.1).</summary>
    ReservedOptionNibble,
    /// <summary>An option's extended delta/length or value runs past the datagram (§3.1).</summary>
    TruncatedOption,
    /// <summary>Option numbers add up past 65535 (§3.1).</summary>
    OptionNumberOverflow,
    /// <summary>A payload marker followed by zero bytes (§3).</summary>
    EmptyPayloadAfterMarker,
}
