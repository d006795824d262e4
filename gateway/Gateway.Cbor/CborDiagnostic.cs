using System.Globalization;
using System.Text;

namespace Gateway.Cbor;

/// <summary>
/// RFC 8949 §8 diagnostic notation, for logs, error messages and tests: e.g. <c>{_ "a": 1, "b": [_ ]}</c>,
/// <c>h'0102'</c>, <c>(_ "strea", "ming")</c>, <c>0("2013-03-21T20:04:00Z")</c>, <c>simple(16)</c>.
/// Text is printed JSON-escaped with every non-ASCII character as \uXXXX (as RFC 8949 Appendix A
/// does); floats use the shortest round-trip digits, fixed notation for 1e-7 ≤ |x| &lt; 1e21 and
/// always with a fraction or exponent (<c>1.0</c>, <c>1.0e+300</c>), so floats and integers stay distinct.
/// </summary>
public static class CborDiagnostic
{
    /// <summary>Formats every data item in <paramref name="cbor"/>, separated by ", " (an RFC 8742 sequence).</summary>
    public static string ToDiagnosticString(ReadOnlyMemory<byte> cbor, CborConformanceMode conformanceMode = CborConformanceMode.Lax)
    {
        var reader = new CborReader(cbor, conformanceMode, allowMultipleRootLevelValues: true);
        var text = new StringBuilder();
        while (reader.PeekState() != CborReaderState.Finished)
        {
            if (text.Length > 0) text.Append(", ");
            Append(reader, text);
        }

        return text.ToString();
    }

    /// <summary>Formats the next data item of <paramref name="reader"/> and consumes it.</summary>
    public static string ReadDiagnosticString(CborReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var text = new StringBuilder();
        Append(reader, text);
        return text.ToString();
    }

    // Recursion is bounded by the reader's MaxDepth for arrays and maps; tag chains are a loop.
    private static void Append(CborReader reader, StringBuilder text)
    {
        int openTags = 0;
        while (reader.PeekState() == CborReaderState.Tag)
        {
            text.Append(((ulong)reader.ReadTag()).ToString(CultureInfo.InvariantCulture)).Append('(');
            openTags++;
        }

        switch (reader.PeekState())
        {
            case CborReaderState.UnsignedInteger:
                text.Append(reader.ReadUInt64().ToString(CultureInfo.InvariantCulture));
                break;
            case CborReaderState.NegativeInteger:
                text.Append((-1 - (System.Numerics.BigInteger)reader.ReadCborNegativeIntegerRepresentation()).ToString(CultureInfo.InvariantCulture));
                break;
            case CborReaderState.ByteString:
                text.Append("h'").Append(Convert.ToHexStringLower(reader.ReadByteString())).Append('\'');
                break;
            case CborReaderState.TextString:
                AppendText(text, reader.ReadTextString());
                break;
            case CborReaderState.StartIndefiniteLengthByteString:
                reader.ReadStartIndefiniteLengthByteString();
                AppendChunks(reader, text, CborReaderState.EndIndefiniteLengthByteString);
                reader.ReadEndIndefiniteLengthByteString();
                break;
            case CborReaderState.StartIndefiniteLengthTextString:
                reader.ReadStartIndefiniteLengthTextString();
                AppendChunks(reader, text, CborReaderState.EndIndefiniteLengthTextString);
                reader.ReadEndIndefiniteLengthTextString();
                break;
            case CborReaderState.StartArray:
                AppendArray(reader, text);
                break;
            case CborReaderState.StartMap:
                AppendMap(reader, text);
                break;
            case CborReaderState.HalfPrecisionFloat:
            case CborReaderState.SinglePrecisionFloat:
            case CborReaderState.DoublePrecisionFloat:
                text.Append(FormatDouble(reader.ReadDouble()));
                break;
            case CborReaderState.Boolean:
                text.Append(reader.ReadBoolean() ? "true" : "false");
                break;
            case CborReaderState.Null:
                reader.ReadNull();
                text.Append("null");
                break;
            default:
                CborSimpleValue simple = reader.ReadSimpleValue();
                text.Append(simple == CborSimpleValue.Undefined ? "undefined" : $"simple({(byte)simple})");
                break;
        }

        text.Append(')', openTags);
    }

    private static void AppendChunks(CborReader reader, StringBuilder text, CborReaderState end)
    {
        text.Append("(_ ");
        bool first = true;
        while (reader.PeekState() != end)
        {
            if (!first) text.Append(", ");
            first = false;
            Append(reader, text);
        }

        text.Append(')');
    }

    private static void AppendArray(CborReader reader, StringBuilder text)
    {
        bool indefinite = reader.ReadStartArray() is null;
        text.Append(indefinite ? "[_ " : "[");
        bool first = true;
        while (reader.PeekState() != CborReaderState.EndArray)
        {
            if (!first) text.Append(", ");
            first = false;
            Append(reader, text);
        }

        reader.ReadEndArray();
        text.Append(']');
    }

    private static void AppendMap(CborReader reader, StringBuilder text)
    {
        bool indefinite = reader.ReadStartMap() is null;
        text.Append(indefinite ? "{_ " : "{");
        bool first = true;
        while (reader.PeekState() != CborReaderState.EndMap)
        {
            if (!first) text.Append(", ");
            first = false;
            Append(reader, text);
            text.Append(": ");
            Append(reader, text);
        }

        reader.ReadEndMap();
        text.Append('}');
    }

    private static void AppendText(StringBuilder text, string value)
    {
        text.Append('"');
        foreach (char c in value)
        {
            switch (c)
            {
                case '"': text.Append("\\\""); break;
                case '\\': text.Append("\\\\"); break;
                case < ' ' or > '~': text.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture)); break;
                default: text.Append(c); break;
            }
        }

        text.Append('"');
    }

    /// <summary>Shortest round-trip digits laid out like ECMAScript's Number::toString, plus ".0" when integral.</summary>
    internal static string FormatDouble(double value)
    {
        if (double.IsNaN(value)) return "NaN";
        if (double.IsInfinity(value)) return value > 0 ? "Infinity" : "-Infinity";
        if (value == 0) return double.IsNegative(value) ? "-0.0" : "0.0";

        // "E16" is not shortest; "R" is, so take its digits and exponent apart.
        string r = Math.Abs(value).ToString("R", CultureInfo.InvariantCulture);
        int e = r.IndexOf('E');
        string mantissa = e < 0 ? r : r[..e];
        int exponent = e < 0 ? 0 : int.Parse(r[(e + 1)..], CultureInfo.InvariantCulture);
        int point = mantissa.IndexOf('.');
        string digits = point < 0 ? mantissa : mantissa.Remove(point, 1);
        int intLength = (point < 0 ? mantissa.Length : point) + exponent; // digits before the decimal point
        int leadingZeros = digits.Length - digits.TrimStart('0').Length;
        digits = digits.Trim('0');
        intLength -= leadingZeros;
        int decimalExponent = intLength - 1; // value = 0.d1d2... × 10^intLength

        string sign = value < 0 ? "-" : "";
        if (decimalExponent is >= -7 and < 21)
        {
            string body = intLength <= 0
                ? "0." + new string('0', -intLength) + digits
                : digits.Length <= intLength
                    ? digits + new string('0', intLength - digits.Length) + ".0"
                    : digits[..intLength] + "." + digits[intLength..];
            return sign + body;
        }

        string m = digits.Length == 1 ? digits + ".0" : digits[..1] + "." + digits[1..];
        return sign + m + "e" + (decimalExponent >= 0 ? "+" : "-") + Math.Abs(decimalExponent).ToString(CultureInfo.InvariantCulture);
    }
}
