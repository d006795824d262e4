using System.Numerics;

namespace Gateway.Cbor;

public sealed partial class CborWriter
{
    public void WriteInt32(int value) => WriteInt64(value);

    public void WriteUInt32(uint value) => WriteUInt64(value);

    /// <summary>Major type 0 for non-negative values, 1 (argument -1 - value) for negative ones (RFC 8949 §3.1).</summary>
    public void WriteInt64(long value)
    {
        if (value >= 0)
        {
            WriteInteger(CborMajorType.UnsignedInteger, (ulong)value);
        }
        else
        {
            WriteInteger(CborMajorType.NegativeInteger, (ulong)(-1 - value));
        }
    }

    public void WriteUInt64(ulong value) => WriteInteger(CborMajorType.UnsignedInteger, value);

    /// <summary>Writes the negative integer -1 - <paramref name="value"/> (major type 1), reaching -2^64.</summary>
    public void WriteCborNegativeIntegerRepresentation(ulong value) => WriteInteger(CborMajorType.NegativeInteger, value);

    /// <summary>
    /// Writes any integer: as major type 0/1 when it fits (RFC 8949 §3.4.3: "preferred serialization"
    /// never uses a bignum for such a value), otherwise as tag 2/3 over the big-endian magnitude
    /// without leading zero bytes.
    /// </summary>
    public void WriteBigInteger(BigInteger value)
    {
        if (value.Sign >= 0 && value <= ulong.MaxValue)
        {
            WriteUInt64((ulong)value);
            return;
        }

        BigInteger magnitude = value.Sign >= 0 ? value : BigInteger.MinusOne - value;
        if (value.Sign < 0 && magnitude <= ulong.MaxValue)
        {
            WriteCborNegativeIntegerRepresentation((ulong)magnitude);
            return;
        }

        byte[] bytes = magnitude.ToByteArray(isUnsigned: true, isBigEndian: true);
        BeginItem(CborMajorType.Tag);
        WriteHeader(CborMajorType.Tag, value.Sign >= 0 ? (ulong)CborTag.UnsignedBigNum : (ulong)CborTag.NegativeBigNum);
        WriteHeader(CborMajorType.ByteString, (ulong)bytes.Length);
        bytes.CopyTo(Reserve(bytes.Length));
        _offset += bytes.Length;
        EndItem();
    }

    private void WriteInteger(CborMajorType major, ulong argument)
    {
        BeginItem(major);
        WriteHeader(major, argument);
        EndItem();
    }
}
