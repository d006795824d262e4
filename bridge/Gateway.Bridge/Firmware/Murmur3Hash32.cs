using System.Buffers.Binary;
using System.Numerics;

namespace Gateway.Bridge.Firmware;

/// <summary>
/// MurmurHash3_x86_32 with seed 0 (Austin Appleby's SMHasher reference; Guava's <c>Hashing.murmur3_32()</c>,
/// ThingsBoard's <c>MURMUR3_32</c>).
/// </summary>
public sealed class Murmur3Hash32() : BlockwiseHash(4)
{
    private const uint C1 = 0xcc9e2d51, C2 = 0x1b873593;
    private uint _h;

    public uint Value
    {
        get
        {
            uint h = _h;
            if (!Tail.IsEmpty)
            {
                uint k = 0;
                for (int i = Tail.Length - 1; i >= 0; i--) k = (k << 8) | Tail[i];
                h ^= Mix(k);
            }
            h ^= (uint)Length;
            h ^= h >> 16;
            h *= 0x85ebca6b;
            h ^= h >> 13;
            h *= 0xc2b2ae35;
            h ^= h >> 16;
            return h;
        }
    }

    public override byte[] Finish()
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, Value);
        _h = 0;
        ResetBlocks();
        return bytes;
    }

    protected override void Block(ReadOnlySpan<byte> block) =>
        _h = BitOperations.RotateLeft(_h ^ Mix(BinaryPrimitives.ReadUInt32LittleEndian(block)), 13) * 5 + 0xe6546b64;

    private static uint Mix(uint k) => BitOperations.RotateLeft(k * C1, 15) * C2;
}
