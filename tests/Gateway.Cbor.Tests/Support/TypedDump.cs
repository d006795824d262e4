using System.Globalization;
using System.Numerics;
using System.Text;

namespace Gateway.Cbor.Tests.Support;

/// <summary>
/// The value-level text form shared with Interop/cbor2_bridge.py (see its docstring). Map entries are
/// sorted so that key order (which canonical encoders change) does not matter.
/// </summary>
public static class TypedDump
{
    public static string Of(byte[] cbor)
    {
        var reader = new CborReader(cbor, CborConformanceMode.Strict);
        string dump = Read(reader);
        if (reader.BytesRemaining != 0) throw new InvalidOperationException("trailing data");
        return dump;
    }

    public static string Read(CborReader reader)
    {
        switch (reader.PeekState())
        {
            case CborReaderState.UnsignedInteger:
            case CborReaderState.NegativeInteger:
                return Int(reader.ReadBigInteger());
            case CborReaderState.Tag:
                CborTag tag = reader.PeekTag();
                if (tag is CborTag.UnsignedBigNum or CborTag.NegativeBigNum) return Int(reader.ReadBigInteger());
                reader.ReadTag();
                return $"g{(ulong)tag}({Read(reader)})";
            case CborReaderState.ByteString:
            case CborReaderState.StartIndefiniteLengthByteString:
                return "b:" + Convert.ToHexStringLower(reader.ReadByteString());
            case CborReaderState.TextString:
            case CborReaderState.StartIndefiniteLengthTextString:
                return Text(reader.ReadTextString());
            case CborReaderState.StartArray:
                reader.ReadStartArray();
                var items = new List<string>();
                while (reader.PeekState() != CborReaderState.EndArray) items.Add(Read(reader));
                reader.ReadEndArray();
                return "[" + string.Join(",", items) + "]";
            case CborReaderState.StartMap:
                reader.ReadStartMap();
                var pairs = new List<string>();
                while (reader.PeekState() != CborReaderState.EndMap) pairs.Add(Read(reader) + "=" + Read(reader));
                reader.ReadEndMap();
                return Map(pairs);
            case CborReaderState.HalfPrecisionFloat:
            case CborReaderState.SinglePrecisionFloat:
            case CborReaderState.DoublePrecisionFloat:
                return Float(reader.ReadDouble());
            case CborReaderState.Boolean:
                return reader.ReadBoolean() ? "T" : "F";
            case CborReaderState.Null:
                reader.ReadNull();
                return "N";
            default:
                CborSimpleValue simple = reader.ReadSimpleValue();
                return simple == CborSimpleValue.Undefined ? "U" : $"s:{(byte)simple}";
        }
    }

    public static string Int(BigInteger value) => "i:" + value.ToString(CultureInfo.InvariantCulture);

    public static string Float(double value) =>
        double.IsNaN(value) ? "f:nan" : "f:" + BitConverter.DoubleToUInt64Bits(value).ToString("x16", CultureInfo.InvariantCulture);

    public static string Text(string value) => "t:" + Convert.ToHexStringLower(Encoding.UTF8.GetBytes(value));

    public static string Map(List<string> pairs)
    {
        pairs.Sort(StringComparer.Ordinal);
        return "{" + string.Join(",", pairs) + "}";
    }
}
