namespace Gateway.Cbor;

/// <summary>
/// A simple value (major type 7, RFC 8949 §3.3). 0..19 and 32..255 are unassigned but valid;
/// 24..31 are reserved and never valid as simple values (§3.3, Table 3).
/// </summary>
public enum CborSimpleValue : byte
{
    False = 20,
    True = 21,
    Null = 22,
    Undefined = 23,
}
