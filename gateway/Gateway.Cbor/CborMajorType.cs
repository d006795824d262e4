namespace Gateway.Cbor;

/// <summary>The eight major types of RFC 8949 §3.1 (the top three bits of the initial byte).</summary>
internal enum CborMajorType : byte
{
    UnsignedInteger = 0,
    NegativeInteger = 1,
    ByteString = 2,
    TextString = 3,
    Array = 4,
    Map = 5,
    Tag = 6,
    SimpleOrFloat = 7,
}
