namespace Gateway.Cbor;

/// <summary>
/// Why CBOR input was rejected: the value carried by <see cref="CborContentException.Error"/> and
/// reported, without any exception, by <see cref="CborReader.TryValidate(System.ReadOnlySpan{byte}, CborConformanceMode, int, out CborContentError)"/>.
/// </summary>
public enum CborContentError
{
    /// <summary>No error.</summary>
    None = 0,
    /// <summary>The input ends inside a data item (RFC 8949 Appendix F.1 "too little data").</summary>
    EndOfData,
    /// <summary>Additional information 28..30 is reserved (RFC 8949 §3, Appendix F.1).</summary>
    ReservedAdditionalInfo,
    /// <summary>Indefinite length on major type 0, 1, 6 or 7 other than break (RFC 8949 §3.2).</summary>
    IndefiniteLengthNotAllowed,
    /// <summary>A break (0xff) where no indefinite-length item is open (RFC 8949 §3.2.1).</summary>
    UnexpectedBreak,
    /// <summary>An indefinite-length string chunk that is not a definite string of the same major type (RFC 8949 §3.2.3).</summary>
    InvalidIndefiniteLengthChunk,
    /// <summary>A two-byte simple value below 32 (RFC 8949 §3.3).</summary>
    InvalidSimpleValueEncoding,
    /// <summary>A declared length or element count larger than the bytes that remain could hold.</summary>
    LengthExceedsRemainingBytes,
    /// <summary>Arrays and maps nested deeper than the reader's limit.</summary>
    MaxDepthExceeded,
    /// <summary>A text string that is not valid UTF-8 (RFC 8949 §3.1, §5.3.1; Strict and Canonical).</summary>
    InvalidUtf8,
    /// <summary>Two map keys with the same encoding (RFC 8949 §5.6; Strict and Canonical).</summary>
    DuplicateKey,
    /// <summary>An argument not in its shortest form (RFC 8949 §4.2.1; Canonical).</summary>
    NonCanonicalArgument,
    /// <summary>An indefinite length (RFC 8949 §4.2.1; Canonical).</summary>
    NonCanonicalIndefiniteLength,
    /// <summary>Map keys not in bytewise lexicographic order (RFC 8949 §4.2.1; Canonical).</summary>
    UnsortedMapKeys,
    /// <summary>A float that a shorter float represents exactly, or a NaN other than 0xf97e00 (RFC 8949 §4.2.1, §4.2.2; Canonical).</summary>
    NonCanonicalFloat,
    /// <summary>A tag followed by a break or by the end of its container (RFC 8949 §3.4).</summary>
    TagWithoutContent,
    /// <summary>An indefinite-length map closed after a key without its value (RFC 8949 §3.2.2).</summary>
    MissingMapValue,
    /// <summary>Bytes after the single root data item (RFC 8949 §5.1; only when multiple roots are not allowed).</summary>
    TrailingData,
    /// <summary>A tag whose content does not have the type the tag requires (RFC 8949 §3.4; typed tag readers only).</summary>
    InvalidTagContent,
}
