using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Gateway.Devices.ThingsBoard;

/// <summary>
/// ThingsBoard's key-value typing, code for code (thingsboard.md §1.1, <c>JsonConverter.parseValue</c>
/// and <c>parseNumericValue</c> at dfe65d5, with <c>transport.json.type_cast_enabled</c> = true):
/// <list type="bullet">
/// <item>null → skipped; true/false → BOOLEAN; object/array → JSON (kept nested);</item>
/// <item>number → by its decimal text, like <c>java.math.BigDecimal</c>: a fraction left after
/// stripping trailing zeros, or a plain <c>.</c> without exponent (<c>42.0</c>) → DOUBLE if the scale is at most
/// 16, else STRING of the plain digits; otherwise an integer → LONG, or STRING when beyond int64;</item>
/// <item>string that commons-lang <c>NumberUtils.isParsable</c> accepts (<c>"42"</c>, <c>"-1.5"</c>, <c>".5"</c>; no
/// exponent, no '+', no trailing '.') → cast like a number; any other string → STRING.</item>
/// </list>
/// Deviations (documented): only ASCII digits count as digits (Java also accepts other Unicode
/// digits), and an exponent beyond ±1000 is rejected instead of expanded into a huge string.
/// </summary>
public static class KeyValueParser
{
    /// <summary>Largest decimal scale kept as DOUBLE (§1.1: "decimals with scale &gt; 16 → STRING").</summary>
    public const int MaxDoubleScale = 16;

    private const int MaxExponent = 1000;

    /// <summary>Types every member of a JSON object; nulls are skipped, a repeated key keeps its first position and last value (Gson's map).</summary>
    public static List<KeyValue> ParseObject(JsonElement json)
    {
        if (json.ValueKind != JsonValueKind.Object) throw new PayloadException("Expected a JSON object.");
        var result = new List<KeyValue>();
        foreach (var member in json.EnumerateObject())
        {
            if (!TryParseValue(member.Name, member.Value, out var value)) continue;
            int existing = result.FindIndex(kv => kv.Key == member.Name);
            if (existing >= 0) result[existing] = value;
            else result.Add(value);
        }
        return result;
    }

    /// <summary>Types one value; false for JSON null (skipped, §1.1).</summary>
    public static bool TryParseValue(string key, JsonElement value, out KeyValue result)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Null:
                result = default;
                return false;
            case JsonValueKind.True:
                result = new(key, KeyValueType.Boolean, "true");
                return true;
            case JsonValueKind.False:
                result = new(key, KeyValueType.Boolean, "false");
                return true;
            case JsonValueKind.Number:
                result = ParseNumber(key, value.GetRawText(), fromString: false);
                return true;
            case JsonValueKind.String:
                var text = value.GetString()!;
                result = IsParsable(text) ? ParseNumber(key, text, fromString: true) : new(key, KeyValueType.String, JsonText.String(text));
                return true;
            default:
                result = new(key, KeyValueType.Json, JsonText.Compact(value));
                return true;
        }
    }

    /// <summary>commons-lang3 <c>NumberUtils.isParsable</c>: optional leading '-', digits with at most one '.', not ending in '.'.</summary>
    public static bool IsParsable(string text)
    {
        if (text.Length == 0 || text[^1] == '.') return false;
        int start = text[0] == '-' ? 1 : 0;
        if (start == text.Length) return false;
        bool point = false;
        for (int i = start; i < text.Length; i++)
        {
            char c = text[i];
            if (c == '.')
            {
                if (point) return false;
                point = true;
            }
            else if (!char.IsAsciiDigit(c)) return false;
        }
        return true;
    }

    private static KeyValue ParseNumber(string key, string text, bool fromString)
    {
        if (!TryDecompose(text, out bool negative, out string unscaled, out int scale, out bool hasExponent))
        {
            // ThingsBoard falls back to a STRING when a cast fails; a JSON number always decomposes.
            if (fromString) return new(key, KeyValueType.String, JsonText.String(text));
            throw new PayloadException($"Can't parse value: {text}");
        }
        int trailingZeros = unscaled == "0" ? 0 : unscaled.Length - unscaled.TrimEnd('0').Length;
        int strippedScale = unscaled == "0" ? 0 : scale - trailingZeros; // BigDecimal.ZERO.stripTrailingZeros() has scale 0
        bool simpleDouble = text.Contains('.') && !hasExponent;
        if (strippedScale > 0 || simpleDouble)
        {
            if (scale <= MaxDoubleScale)
            {
                double d = double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
                if (double.IsFinite(d)) return new(key, KeyValueType.Double, FormatDouble(d));
            }
            return new(key, KeyValueType.String, JsonText.String(PlainString(negative, unscaled, scale)));
        }
        // An integer: drop the zeros a positive scale covers, append those a negative scale implies.
        string digits = unscaled == "0" ? "0" : scale >= 0 ? unscaled[..^scale] : unscaled + new string('0', -scale);
        digits = digits.TrimStart('0');
        if (digits.Length == 0) digits = "0";
        string signed = negative && digits != "0" ? "-" + digits : digits;
        return long.TryParse(signed, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long l)
            ? new(key, KeyValueType.Long, l.ToString(CultureInfo.InvariantCulture))
            : new(key, KeyValueType.String, JsonText.String(signed)); // big integer → STRING (type cast enabled)
    }

    /// <summary>Splits decimal text into sign, unscaled digits (no leading zeros) and scale, as BigDecimal(String) does.</summary>
    private static bool TryDecompose(string text, out bool negative, out string unscaled, out int scale, out bool hasExponent)
    {
        negative = false;
        unscaled = "0";
        scale = 0;
        hasExponent = false;
        int i = 0;
        if (i < text.Length && (text[i] == '-' || text[i] == '+')) negative = text[i++] == '-';
        var digits = new StringBuilder(text.Length);
        int fraction = 0;
        bool point = false, any = false;
        for (; i < text.Length; i++)
        {
            char c = text[i];
            if (char.IsAsciiDigit(c))
            {
                digits.Append(c);
                any = true;
                if (point) fraction++;
            }
            else if (c == '.' && !point) point = true;
            else break;
        }
        if (!any) return false;
        long exponent = 0;
        if (i < text.Length)
        {
            if (text[i] != 'e' && text[i] != 'E') return false;
            hasExponent = true;
            if (!long.TryParse(text.AsSpan(i + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out exponent)) return false;
            if (Math.Abs(exponent) > MaxExponent) throw new PayloadException($"Number out of range: {text}");
        }
        var trimmed = digits.ToString().TrimStart('0');
        unscaled = trimmed.Length == 0 ? "0" : trimmed;
        scale = fraction - (int)exponent;
        return true;
    }

    /// <summary>BigDecimal.toPlainString.</summary>
    private static string PlainString(bool negative, string unscaled, int scale)
    {
        string body = scale <= 0 ? unscaled + new string('0', unscaled == "0" ? 0 : -scale)
            : unscaled.Length > scale ? unscaled[..^scale] + "." + unscaled[^scale..]
            : "0." + new string('0', scale - unscaled.Length) + unscaled;
        return negative && unscaled != "0" ? "-" + body : body;
    }

    /// <summary>A double as JSON that ThingsBoard reads back as a DOUBLE: always a '.', or a negative exponent.</summary>
    public static string FormatDouble(double value)
    {
        var text = value.ToString("R", CultureInfo.InvariantCulture);
        int e = text.IndexOf('E', StringComparison.Ordinal);
        if (e >= 0) return text[e + 1] == '-' ? text : value.ToString("F1", CultureInfo.InvariantCulture);
        return text.Contains('.') ? text : text + ".0";
    }
}
