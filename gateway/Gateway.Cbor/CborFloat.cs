using System.Buffers.Binary;

namespace Gateway.Cbor;

/// <summary>
/// Exact conversions between half, single and double precision (RFC 8949 §3.3, Appendix D), done on
/// bit patterns so NaN payloads and -0.0 survive: hardware conversions quiet signalling NaNs.
/// </summary>
internal static class CborFloat
{
    public const ushort CanonicalNaNHalfBits = 0x7E00;

    public static double HalfBitsToDouble(ushort bits)
    {
        int exponent = (bits >> 10) & 0x1F;
        ulong mantissa = (ulong)(bits & 0x3FF);
        ulong sign = (ulong)(bits >> 15) << 63;
        if (exponent == 0x1F)
        {
            // RFC 8949 Appendix D: exponent 31 is infinity (mantissa 0) or NaN; keep the payload bits.
            return BitConverter.UInt64BitsToDouble(sign | 0x7FF0_0000_0000_0000UL | (mantissa << 42));
        }

        // Finite halves (normal and subnormal) are exactly representable as double.
        return (double)BitConverter.UInt16BitsToHalf(bits);
    }

    public static double SingleBitsToDouble(uint bits)
    {
        if ((bits & 0x7F80_0000) == 0x7F80_0000 && (bits & 0x007F_FFFF) != 0)
        {
            ulong sign = (ulong)(bits >> 31) << 63;
            return BitConverter.UInt64BitsToDouble(sign | 0x7FF0_0000_0000_0000UL | ((ulong)(bits & 0x007F_FFFF) << 29));
        }

        return BitConverter.UInt32BitsToSingle(bits);
    }

    /// <summary>The half-precision bits that represent <paramref name="value"/> exactly, if any.</summary>
    public static bool TryToHalfBits(double value, out ushort bits)
    {
        ulong d = BitConverter.DoubleToUInt64Bits(value);
        if (double.IsNaN(value))
        {
            // A NaN fits when the payload bits below the top 10 are zero.
            bits = (ushort)(((d >> 48) & 0x8000) | 0x7C00 | ((d >> 42) & 0x3FF));
            return (d & ((1UL << 42) - 1)) == 0;
        }

        Half half = (Half)value; // round-to-nearest; exactness checked below
        bits = BitConverter.HalfToUInt16Bits(half);
        return BitConverter.DoubleToUInt64Bits((double)half) == d;
    }

    /// <summary>The single-precision bits that represent <paramref name="value"/> exactly, if any.</summary>
    public static bool TryToSingleBits(double value, out uint bits)
    {
        ulong d = BitConverter.DoubleToUInt64Bits(value);
        if (double.IsNaN(value))
        {
            bits = (uint)(((d >> 32) & 0x8000_0000) | 0x7F80_0000 | ((d >> 29) & 0x007F_FFFF));
            return (d & ((1UL << 29) - 1)) == 0;
        }

        float single = (float)value;
        bits = BitConverter.SingleToUInt32Bits(single);
        return BitConverter.DoubleToUInt64Bits(single) == d;
    }

    /// <summary>Decodes a float item (0xf9/0xfa/0xfb + bytes) to double without loss.</summary>
    public static double Decode(ReadOnlySpan<byte> item) => item[0] switch
    {
        0xF9 => HalfBitsToDouble(BinaryPrimitives.ReadUInt16BigEndian(item.Slice(1))),
        0xFA => SingleBitsToDouble(BinaryPrimitives.ReadUInt32BigEndian(item.Slice(1))),
        _ => BitConverter.UInt64BitsToDouble(BinaryPrimitives.ReadUInt64BigEndian(item.Slice(1))),
    };

    /// <summary>
    /// RFC 8949 §4.2.1/§4.2.2 for Canonical input: no shorter float represents the value, and NaN is
    /// only the half 0x7e00.
    /// </summary>
    public static bool IsShortest(ReadOnlySpan<byte> item)
    {
        double value = Decode(item);
        if (double.IsNaN(value))
        {
            return item.Length == 3 && BinaryPrimitives.ReadUInt16BigEndian(item.Slice(1)) == CanonicalNaNHalfBits;
        }

        return item.Length switch
        {
            3 => true,
            5 => !TryToHalfBits(value, out _),
            _ => !TryToSingleBits(value, out _),
        };
    }
}
