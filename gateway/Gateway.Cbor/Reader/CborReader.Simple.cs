using System.Buffers.Binary;

namespace Gateway.Cbor;

public sealed partial class CborReader
{
    public bool ReadBoolean()
    {
        PeekExpecting("a boolean", CborReaderState.Boolean);
        bool value = Remaining[0] == 0xF5;
        AdvanceItem(_offset + 1);
        return value;
    }

    public void ReadNull()
    {
        PeekExpecting("null", CborReaderState.Null);
        AdvanceItem(_offset + 1);
    }

    /// <summary>
    /// Reads any simple value (RFC 8949 §3.3): false, true, null, undefined and the unassigned ones,
    /// in one byte (0..23) or two (32..255). Floats are not simple values here.
    /// </summary>
    public CborSimpleValue ReadSimpleValue()
    {
        PeekExpecting("a simple value", CborReaderState.SimpleValue, CborReaderState.Boolean, CborReaderState.Null);
        CborContentError error = CborHeader.TryDecodeSimpleOrFloat(Remaining, ConformanceMode, out int length);
        if (error != CborContentError.None) throw Content(error, _offset);
        var value = (CborSimpleValue)(length == 1 ? CborHeader.AdditionalInfo(Remaining[0]) : Remaining[1]);
        AdvanceItem(_offset + length);
        return value;
    }

    /// <summary>Reads a float of any width as <see cref="double"/> (always exact; NaN payloads kept).</summary>
    public double ReadDouble()
    {
        double value = PeekFloat(out int length);
        AdvanceItem(_offset + length);
        return value;
    }

    /// <summary>
    /// Reads a half or single float; a double is accepted only when a float holds it exactly, else
    /// <see cref="OverflowException"/> (a decision of ours: the value would change).
    /// </summary>
    public float ReadSingle()
    {
        double value = PeekFloat(out int length);
        if (!CborFloat.TryToSingleBits(value, out uint bits)) throw new OverflowException("The CBOR float is not exactly representable as Single.");
        AdvanceItem(_offset + length);
        return BitConverter.UInt32BitsToSingle(bits);
    }

    /// <summary>Reads a float that a half holds exactly (RFC 8949 Appendix D); otherwise <see cref="OverflowException"/>.</summary>
    public Half ReadHalf()
    {
        double value = PeekFloat(out int length);
        if (!CborFloat.TryToHalfBits(value, out ushort bits)) throw new OverflowException("The CBOR float is not exactly representable as Half.");
        AdvanceItem(_offset + length);
        return BitConverter.UInt16BitsToHalf(bits);
    }

    private double PeekFloat(out int length)
    {
        PeekExpecting("a floating-point number", CborReaderState.HalfPrecisionFloat, CborReaderState.SinglePrecisionFloat, CborReaderState.DoublePrecisionFloat);
        CborContentError error = CborHeader.TryDecodeSimpleOrFloat(Remaining, ConformanceMode, out length);
        if (error != CborContentError.None) throw Content(error, _offset);
        return CborFloat.Decode(Remaining.Slice(0, length));
    }

    /// <summary>The raw bits of the half at the cursor, for callers that must keep NaN payloads as sent.</summary>
    internal ushort PeekHalfBits() => BinaryPrimitives.ReadUInt16BigEndian(Remaining.Slice(1));
}
