using System.Numerics;

namespace Gateway.Cbor;

public sealed partial class CborReader
{
    /// <summary>Reads major type 0 or 1 as <see cref="int"/>; <see cref="OverflowException"/> if it does not fit.</summary>
    public int ReadInt32()
    {
        long value = PeekInt64(out int length);
        if (value is < int.MinValue or > int.MaxValue) throw new OverflowException("The CBOR integer does not fit in Int32.");
        AdvanceItem(_offset + length);
        return (int)value;
    }

    /// <summary>Reads major type 0 or 1 as <see cref="long"/>; <see cref="OverflowException"/> if it does not fit.</summary>
    public long ReadInt64()
    {
        long value = PeekInt64(out int length);
        AdvanceItem(_offset + length);
        return value;
    }

    /// <summary>Reads major type 0 as <see cref="uint"/>; a negative integer or a larger value is an <see cref="OverflowException"/>.</summary>
    public uint ReadUInt32()
    {
        ulong value = PeekUInt64(out int length);
        if (value > uint.MaxValue) throw new OverflowException("The CBOR integer does not fit in UInt32.");
        AdvanceItem(_offset + length);
        return (uint)value;
    }

    /// <summary>Reads major type 0 as <see cref="ulong"/>; a negative integer is an <see cref="OverflowException"/>.</summary>
    public ulong ReadUInt64()
    {
        ulong value = PeekUInt64(out int length);
        AdvanceItem(_offset + length);
        return value;
    }

    /// <summary>
    /// Reads a negative integer (major type 1) as its raw argument n, the value being -1 - n
    /// (RFC 8949 §3.1), which covers the full range down to -2^64.
    /// </summary>
    public ulong ReadCborNegativeIntegerRepresentation()
    {
        PeekExpecting("a negative integer", CborReaderState.NegativeInteger);
        ulong argument = DecodeArgument(out int length);
        AdvanceItem(_offset + length);
        return argument;
    }

    /// <summary>
    /// Reads any integer: major types 0 and 1, or a bignum (tag 2 or 3 on a byte string, RFC 8949 §3.4.3).
    /// </summary>
    public BigInteger ReadBigInteger()
    {
        CborReaderState state = PeekExpecting("an integer", CborReaderState.UnsignedInteger, CborReaderState.NegativeInteger, CborReaderState.Tag);
        if (state != CborReaderState.Tag)
        {
            ulong argument = DecodeArgument(out int length);
            AdvanceItem(_offset + length);
            return state == CborReaderState.UnsignedInteger ? argument : BigInteger.MinusOne - argument;
        }

        CborTag tag = PeekTag();
        if (tag is not (CborTag.UnsignedBigNum or CborTag.NegativeBigNum)) throw new InvalidOperationException($"Expected a bignum tag but found tag {(ulong)tag}.");
        CborReader sub = SubReader();
        sub.ReadTag();
        if (sub.PeekState() is not (CborReaderState.ByteString or CborReaderState.StartIndefiniteLengthByteString))
        {
            throw Content(CborContentError.InvalidTagContent, _offset);
        }

        byte[] magnitude = sub.ReadByteString();
        var n = new BigInteger(magnitude, isUnsigned: true, isBigEndian: true);
        if (ConformanceMode >= CborConformanceMode.Canonical && ((magnitude.Length > 0 && magnitude[0] == 0) || n <= ulong.MaxValue))
        {
            // RFC 8949 §3.4.3 preferred serialization, required by §4.2.1: no leading zero bytes,
            // and a value that fits major type 0/1 is not a bignum.
            throw Content(CborContentError.NonCanonicalArgument, _offset);
        }

        AdvanceItem(_offset + sub._offset);
        return tag == CborTag.UnsignedBigNum ? n : BigInteger.MinusOne - n;
    }

    private long PeekInt64(out int length)
    {
        CborReaderState state = PeekExpecting("an integer", CborReaderState.UnsignedInteger, CborReaderState.NegativeInteger);
        ulong argument = DecodeArgument(out length);
        if (argument > long.MaxValue) throw new OverflowException("The CBOR integer does not fit in Int64.");
        return state == CborReaderState.UnsignedInteger ? (long)argument : -1 - (long)argument;
    }

    private ulong PeekUInt64(out int length)
    {
        CborReaderState state = PeekExpecting("an unsigned integer", CborReaderState.UnsignedInteger, CborReaderState.NegativeInteger);
        ulong argument = DecodeArgument(out length);
        if (state == CborReaderState.NegativeInteger) throw new OverflowException("The CBOR integer is negative.");
        return argument;
    }

    /// <summary>Decodes the argument of the item at the cursor without consuming it.</summary>
    private ulong DecodeArgument(out int headerLength)
    {
        CborContentError error = CborHeader.TryDecodeArgument(Remaining, ConformanceMode, out ulong argument, out headerLength, out _);
        if (error != CborContentError.None) throw Content(error, _offset);
        return argument;
    }
}
