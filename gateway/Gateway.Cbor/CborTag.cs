namespace Gateway.Cbor;

/// <summary>
/// A CBOR tag number (major type 6, RFC 8949 §3.4). Any 64-bit value is a valid tag; the named
/// ones are those of RFC 8949 §3.4 and the IANA registry that this codec or its callers use.
/// </summary>
public enum CborTag : ulong
{
    /// <summary>Tag 0: RFC 3339 date/time text (RFC 8949 §3.4.1).</summary>
    DateTimeString = 0,
    /// <summary>Tag 1: seconds since 1970-01-01T00:00Z, integer or float (RFC 8949 §3.4.2).</summary>
    UnixTimeSeconds = 1,
    /// <summary>Tag 2: unsigned bignum, big-endian byte string (RFC 8949 §3.4.3).</summary>
    UnsignedBigNum = 2,
    /// <summary>Tag 3: negative bignum, value is -1 - n (RFC 8949 §3.4.3).</summary>
    NegativeBigNum = 3,
    /// <summary>Tag 4: decimal fraction [exponent, mantissa] (RFC 8949 §3.4.4).</summary>
    DecimalFraction = 4,
    /// <summary>Tag 5: bigfloat [exponent, mantissa] (RFC 8949 §3.4.4).</summary>
    BigFloat = 5,
    /// <summary>Tag 21: expected conversion to base64url (RFC 8949 §3.4.5.2).</summary>
    Base64UrlLaterEncoding = 21,
    /// <summary>Tag 22: expected conversion to base64 (RFC 8949 §3.4.5.2).</summary>
    Base64StringLaterEncoding = 22,
    /// <summary>Tag 23: expected conversion to base16 (RFC 8949 §3.4.5.2).</summary>
    Base16StringLaterEncoding = 23,
    /// <summary>Tag 24: embedded CBOR data item in a byte string (RFC 8949 §3.4.5.1).</summary>
    EncodedCborDataItem = 24,
    /// <summary>Tag 32: URI text (RFC 8949 §3.4.5.3).</summary>
    Uri = 32,
    /// <summary>Tag 33: base64url text.</summary>
    Base64Url = 33,
    /// <summary>Tag 34: base64 text.</summary>
    Base64 = 34,
    /// <summary>Tag 36: MIME message text.</summary>
    MimeMessage = 36,
    /// <summary>Tag 55799: self-described CBOR (RFC 8949 §3.4.6).</summary>
    SelfDescribeCbor = 55799,
}
