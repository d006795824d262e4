using System.Buffers.Binary;
using System.Numerics;

namespace Gateway.Bridge.Firmware;

/// <summary>
/// MurmurHash3_x86_32 with seed 0 (Austin Appleby's SMHasher reference; Guava's <c>Hashing.murmur3_32()</c>,
/// ThingsBoard's <c>MURMUR3_32</c>). Fed in arbitrary pieces: up to 3 bytes wait for the next 4-byte block.
/// </summary>
public sealed class Murmur3Hash32 : FirmwareHash
{
    private const uint C1 = 0xcc9e2d51, C2 = 0x1b873593;
    private readonly byte[] _pending = new byte[4];
    private int _pendingCount;
    private uint _h;
    private long _length;

    public uint Value
    {
        get
        {
            uint h = _h;
            if (_pendingCount > 0)
            {
                uint k = 0;
                for (int i = _pendingCount - 1; i >= 0; i--) k = (k << 8) | _pending[i];
                h ^= Mix(k);
            }
            h ^= (uint)_length;
            h ^= h >> 16;
            h *= 0x85ebca6b;
            h ^= h >> 13;
            h *= 0xc2b2ae35;
            h ^= h >> 16;
            return h;
        }
    }

    public override void Append(ReadOnlySpan<byte> data)
    {
        _length += data.Length;
        if (_pendingCount > 0)
        {
            int take = Math.Min(4 - _pendingCount, data.Length);
            data[..take].CopyTo(_pending.AsSpan(_pendingCount));
            _pendingCount += take;
            data = data[take..];
            if (_pendingCount < 4) return;
            Block(BinaryPrimitives.ReadUInt32LittleEndian(_pending));
            _pendingCount = 0;
        }
        while (data.Length >= 4)
        {
            Block(BinaryPrimitives.ReadUInt32LittleEndian(data));
            data = data[4..];
        }
        data.CopyTo(_pending);
        _pendingCount = data.Length;
    }

    public override byte[] Finish()
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, Value);
        (_h, _length, _pendingCount) = (0, 0, 0);
        return bytes;
    }

    private static uint Mix(uint k) => BitOperations.RotateLeft(k * C1, 15) * C2;

    private void Block(uint k) => _h = BitOperations.RotateLeft(_h ^ Mix(k), 13) * 5 + 0xe6546b64;
}
