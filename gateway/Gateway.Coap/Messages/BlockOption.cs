namespace Gateway.Coap.Messages;

/// <summary>
/// The Block1/Block2 value of RFC 7959 §2.2: NUM (up to 20 bits), M (more), SZX (block size
/// 2^(SZX+4)). SZX 7 is reserved (§2.2) and must be rejected by the caller.
/// </summary>
public readonly record struct BlockOption(uint Number, bool More, int Szx)
{
    public const int MaxSzx = 6;
    public const uint MaxNumber = (1u << 20) - 1;

    public int Size => 1 << (Szx + 4);

    public uint Encode() => (Number << 4) | (More ? 8u : 0u) | (uint)Szx;

    public static BlockOption Decode(uint value) => new(value >> 4, (value & 8) != 0, (int)(value & 7));

    /// <summary>The SZX for a block size (16..1024, a power of two); anything else rounds down.</summary>
    public static int SzxForSize(int size)
    {
        int szx = 0;
        while (szx < MaxSzx && 1 << (szx + 5) <= size) szx++;
        return szx;
    }

    public CoapOption ToOption(ushort number) => CoapOption.FromUInt(number, Encode());
}
