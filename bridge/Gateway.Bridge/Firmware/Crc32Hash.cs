using System.Buffers.Binary;

namespace Gateway.Bridge.Firmware;

/// <summary>
/// CRC-32 as in ISO-HDLC / IEEE 802.3 (zlib's <c>crc32</c>, Guava's <c>Hashing.crc32()</c>): reflected
/// polynomial 0xEDB88320, initial value and final XOR 0xFFFFFFFF; check value of "123456789" is 0xCBF43926.
/// </summary>
public sealed class Crc32Hash : FirmwareHash
{
    private static readonly uint[] Table = BuildTable();
    private uint _crc = 0xFFFFFFFF;

    public uint Value => ~_crc;

    public override void Append(ReadOnlySpan<byte> data)
    {
        uint crc = _crc;
        foreach (byte b in data) crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        _crc = crc;
    }

    public override byte[] Finish()
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, Value);
        _crc = 0xFFFFFFFF;
        return bytes;
    }

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
            table[n] = c;
        }
        return table;
    }
}
