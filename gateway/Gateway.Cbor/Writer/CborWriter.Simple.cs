using System.Buffers.Binary;

namespace Gateway.Cbor;

public sealed partial class CborWriter
{
    public void WriteBoolean(bool value) => WriteSimpleValue(value ? CborSimpleValue.True : CborSimpleValue.False);

    public void WriteNull() => WriteSimpleValue(CborSimpleValue.Null);

    /// <summary>
    /// Writes a simple value (RFC 8949 §3.3): 0..23 in one byte, 32..255 in two. 24..31 are not
    /// simple values (reserved) and throw <see cref="ArgumentOutOfRangeException"/>.
    /// </summary>
    public void WriteSimpleValue(CborSimpleValue value)
    {
        byte v = (byte)value;
        if (v is >= 24 and < 32) throw new ArgumentOutOfRangeException(nameof(value), "Simple values 24..31 are reserved (RFC 8949 §3.3).");
        BeginItem(CborMajorType.SimpleOrFloat);
        if (v < 24)
        {
            WriteByte((byte)(0xE0 | v));
        }
        else
        {
            Span<byte> s = Reserve(2);
            s[0] = 0xF8;
            s[1] = v;
            _offset += 2;
        }

        EndItem();
    }

    /// <summary>
    /// Writes the shortest float that represents <paramref name="value"/> exactly: half, then single,
    /// then double (RFC 8949 §4.1 preferred serialization, §4.2.2). NaN keeps its sign and payload when a
    /// shorter width holds them; in Canonical mode every NaN is written as 0xf97e00 (§4.2.2).
    /// </summary>
    public void WriteDouble(double value)
    {
        if (double.IsNaN(value) && ConformanceMode >= CborConformanceMode.Canonical)
        {
            WriteHalfBits(CborFloat.CanonicalNaNHalfBits);
        }
        else if (CborFloat.TryToHalfBits(value, out ushort half))
        {
            WriteHalfBits(half);
        }
        else if (CborFloat.TryToSingleBits(value, out uint single))
        {
            WriteSingleBits(single);
        }
        else
        {
            BeginItem(CborMajorType.SimpleOrFloat);
            Span<byte> s = Reserve(9);
            s[0] = 0xFB;
            BinaryPrimitives.WriteDoubleBigEndian(s.Slice(1), value);
            _offset += 9;
            EndItem();
        }
    }

    /// <summary>Writes a single as a half when that is exact, else as a single (RFC 8949 §4.1).</summary>
    public void WriteSingle(float value)
    {
        if (float.IsNaN(value))
        {
            // Widen NaN by bits: the hardware conversion would set the quiet bit.
            WriteDouble(CborFloat.SingleBitsToDouble(BitConverter.SingleToUInt32Bits(value)));
            return;
        }

        WriteDouble(value);
    }

    /// <summary>Writes a half-precision float (RFC 8949 §3.3, Appendix D).</summary>
    public void WriteHalf(Half value) => WriteDouble(CborFloat.HalfBitsToDouble(BitConverter.HalfToUInt16Bits(value)));

    private void WriteHalfBits(ushort bits)
    {
        BeginItem(CborMajorType.SimpleOrFloat);
        Span<byte> s = Reserve(3);
        s[0] = 0xF9;
        BinaryPrimitives.WriteUInt16BigEndian(s.Slice(1), bits);
        _offset += 3;
        EndItem();
    }

    private void WriteSingleBits(uint bits)
    {
        BeginItem(CborMajorType.SimpleOrFloat);
        Span<byte> s = Reserve(5);
        s[0] = 0xFA;
        BinaryPrimitives.WriteUInt32BigEndian(s.Slice(1), bits);
        _offset += 5;
        EndItem();
    }
}
