namespace Gateway.Devices.Exosite.Cbor;

/// <summary>
/// Why <see cref="CborJson.TryDecode"/> refused a body. Every refusal is an answer for the device
/// (4.00 on the Exosite resources), never an exception.
/// </summary>
public enum CborJsonError
{
    /// <summary>Decoded.</summary>
    None,

    /// <summary>Not well-formed CBOR (RFC 8949 Appendix C): truncated, reserved additional information, a stray or missing break, a length beyond the input, an empty body.</summary>
    Malformed,

    /// <summary>Bytes after the one data item (RFC 8949 §5.1: the body is a single item).</summary>
    TrailingData,

    /// <summary>Arrays and maps nested deeper than the caller allows.</summary>
    TooDeep,

    /// <summary>A text string (or one of its chunks, RFC 8949 §3.2.3) that is not valid UTF-8 (§3.1).</summary>
    InvalidUtf8,

    /// <summary>A tag (RFC 8949 §3.4), including bignums, dates and encoded CBOR: JSON-like values have none.</summary>
    UnsupportedTag,

    /// <summary><c>undefined</c> or a simple value other than false, true and null (RFC 8949 §3.3): JSON has no counterpart.</summary>
    UnsupportedSimpleValue,

    /// <summary>A map key that is neither a text string nor an integer (RFC 8949 §6.1 would stringify it "at the risk of collisions").</summary>
    UnsupportedMapKey,

    /// <summary>Two keys of one map that are equal as JSON member names (the same text, or <c>1</c> and <c>"1"</c>; RFC 8949 §5.6).</summary>
    DuplicateKey,
}
