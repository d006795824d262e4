namespace Gateway.Cbor;

/// <summary>What <see cref="CborReader.PeekState"/> says the next token is (System.Formats.Cbor's names).</summary>
public enum CborReaderState
{
    /// <summary>No state could be determined (only returned by a default value).</summary>
    Undefined = 0,
    UnsignedInteger,
    NegativeInteger,
    ByteString,
    StartIndefiniteLengthByteString,
    EndIndefiniteLengthByteString,
    TextString,
    StartIndefiniteLengthTextString,
    EndIndefiniteLengthTextString,
    StartArray,
    EndArray,
    StartMap,
    EndMap,
    Tag,
    /// <summary>A simple value other than false/true/null (undefined included, as in System.Formats.Cbor).</summary>
    SimpleValue,
    HalfPrecisionFloat,
    SinglePrecisionFloat,
    DoublePrecisionFloat,
    Null,
    Boolean,
    /// <summary>All root-level values have been read.</summary>
    Finished,
}
