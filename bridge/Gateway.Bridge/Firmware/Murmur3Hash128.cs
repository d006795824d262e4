using System.Buffers.Binary;
using System.Numerics;

namespace Gateway.Bridge.Firmware;

/// <summary>
/// MurmurHash3_x64_128 with seed 0 (SMHasher reference; Guava's <c>Hashing.murmur3_128()</c>, ThingsBoard's
/// <c>MURMUR3_128</c>). The result is h1 then h2, each little-endian, as Guava prints it.
/// </summary>
public sealed class Murmur3Hash128() : BlockwiseHash(16)
{
    private const ulong C1 = 0x87c37b91114253d5, C2 = 0x4cf5ad432745937f;
    private ulong _h1, _h2;

    public override byte[] Finish()
    {
        ulong h1 = _h1, h2 = _h2;
        var tail = Tail;
        if (!tail.IsEmpty)
        {
            ulong k1 = 0, k2 = 0;
            for (int i = tail.Length - 1; i >= 8; i--) k2 = (k2 << 8) | tail[i];
            for (int i = Math.Min(tail.Length, 8) - 1; i >= 0; i--) k1 = (k1 << 8) | tail[i];
            h2 ^= MixK2(k2);
            h1 ^= MixK1(k1);
        }
        h1 ^= (ulong)Length;
        h2 ^= (ulong)Length;
        h1 += h2;
        h2 += h1;
        h1 = Fmix(h1);
        h2 = Fmix(h2);
        h1 += h2;
        h2 += h1;
        var bytes = new byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, h1);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(8), h2);
        (_h1, _h2) = (0, 0);
        ResetBlocks();
        return bytes;
    }

    protected override void Block(ReadOnlySpan<byte> block)
    {
        _h1 ^= MixK1(BinaryPrimitives.ReadUInt64LittleEndian(block));
        _h1 = (BitOperations.RotateLeft(_h1, 27) + _h2) * 5 + 0x52dce729;
        _h2 ^= MixK2(BinaryPrimitives.ReadUInt64LittleEndian(block[8..]));
        _h2 = (BitOperations.RotateLeft(_h2, 31) + _h1) * 5 + 0x38495ab5;
    }

    private static ulong MixK1(ulong k) => BitOperations.RotateLeft(k * C1, 31) * C2;

    private static ulong MixK2(ulong k) => BitOperations.RotateLeft(k * C2, 33) * C1;

    private static ulong Fmix(ulong k)
    {
        k ^= k >> 33;
        k *= 0xff51afd7ed558ccd;
        k ^= k >> 33;
        k *= 0xc4ceb9fe1a85ec53;
        k ^= k >> 33;
        return k;
    }
}
