namespace Gateway.Cbor;

/// <summary>
/// How strictly a <see cref="CborReader"/> checks its input and how a <see cref="CborWriter"/>
/// shapes its output. Every mode rejects input that is not well-formed (RFC 8949 §1.2, Appendix C).
/// The modes are ordered: each one enforces everything the previous one does.
/// </summary>
public enum CborConformanceMode
{
    /// <summary>
    /// Well-formedness only (RFC 8949 Appendix C). Text strings that are not valid UTF-8 are decoded
    /// with U+FFFD replacements; duplicate map keys are accepted.
    /// </summary>
    Lax = 0,

    /// <summary>
    /// Lax plus the validity rules of RFC 8949 §5.3 this codec can check generically: text strings
    /// (and every chunk of an indefinite-length text string, §3.2.3) are valid UTF-8, and a map has
    /// no two keys with identical encodings (§5.6). Non-shortest arguments, indefinite lengths and
    /// unsorted keys are allowed. Tag content is only checked by the typed tag readers.
    /// </summary>
    Strict = 1,

    /// <summary>
    /// Strict plus RFC 8949 §4.2.1 core deterministic encoding: integer arguments and lengths use
    /// the shortest form, no indefinite lengths, map keys sorted by the bytewise lexicographic order
    /// of their encodings, floats in the shortest form that keeps the value (§4.2.2: NaN only as
    /// 0xf97e00). The writer sorts map keys itself in this mode. Note: System.Formats.Cbor's
    /// Canonical is RFC 7049's length-first order; ours is the RFC 8949 order.
    /// </summary>
    Canonical = 2,
}
