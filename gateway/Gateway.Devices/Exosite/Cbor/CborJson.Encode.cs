using System.Formats.Cbor;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Gateway.Devices.Exosite.Cbor;

public static partial class CborJson
{
    // -2^64, the smallest integer major type 1 holds (RFC 8949 §3.1).
    private const decimal MinCborInteger = -18446744073709551616m;

    [ThreadStatic]
    private static CborWriter? t_writer;

    /// <summary>
    /// Encodes a JSON-like value as one CBOR data item (RFC 8949 §6.2) in preferred serialization
    /// (§4.1: shortest arguments, the shortest float that keeps the value; System.Formats.Cbor does
    /// both). Integers → major type 0/1; integers beyond 64 bits → a float, which §6.2 allows
    /// ("integers longer than an implementation-defined threshold may instead be represented as
    /// floating-point values") and which the decoder reads back, unlike a bignum tag; numbers with
    /// a fraction or exponent (or built from a CLR float) → float; strings, booleans, null, arrays;
    /// objects → maps with text keys in the object's order.
    /// </summary>
    /// <remarks>
    /// Strict mode, not Canonical: Canonical would sort map keys (length first, RFC 7049 §3.9), so
    /// an RPC answer's <c>{"id","status","result"}</c> would change order from what devices got
    /// before; JSON objects have unique keys, so nothing else differs.
    /// </remarks>
    public static byte[] Encode(JsonNode? value)
    {
        // One writer per thread, reset per call: its buffer grows once (to the largest answer, which
        // Exosite:MaxRpcCalls bounds) instead of per answer.
        CborWriter writer = t_writer ??= new CborWriter(CborConformanceMode.Strict);
        writer.Reset();
        try
        {
            Write(writer, value);
            return writer.Encode();
        }
        finally
        {
            writer.Reset();
        }
    }

    private static void Write(CborWriter writer, JsonNode? node)
    {
        switch (node)
        {
            case null:
                writer.WriteNull();
                break;
            case JsonObject obj:
                writer.WriteStartMap(obj.Count);
                foreach (KeyValuePair<string, JsonNode?> member in obj)
                {
                    writer.WriteTextString(member.Key);
                    Write(writer, member.Value);
                }

                writer.WriteEndMap();
                break;
            case JsonArray array:
                writer.WriteStartArray(array.Count);
                foreach (JsonNode? item in array) Write(writer, item);
                writer.WriteEndArray();
                break;
            case JsonValue value:
                WriteValue(writer, value);
                break;
        }
    }

    private static void WriteValue(CborWriter writer, JsonValue value)
    {
        // A value parsed from JSON (the RPC's JSON body) wraps a JsonElement; values built in code
        // wrap CLR types. Floats are asked for before the general number case, because a double's
        // JSON text ("1" for 1.0) would not say it is a float.
        if (value.TryGetValue(out JsonElement element)) WriteElement(writer, element);
        else if (value.TryGetValue(out string? s)) writer.WriteTextString(s);
        else if (value.TryGetValue(out long l)) writer.WriteInt64(l);
        else if (value.TryGetValue(out int i)) writer.WriteInt32(i);
        else if (value.TryGetValue(out bool b)) writer.WriteBoolean(b);
        else if (value.TryGetValue(out double d)) writer.WriteDouble(d);
        else if (value.TryGetValue(out float f)) writer.WriteSingle(f);
        else if (value.TryGetValue(out decimal m)) WriteDecimal(writer, m);
        else
        {
            // Any other CLR type (ulong, short, char, …): its own JSON form, read as JSON.
            using var document = JsonDocument.Parse(value.ToJsonString());
            WriteElement(writer, document.RootElement);
        }
    }

    private static void WriteElement(CborWriter writer, JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                int count = 0;
                foreach (JsonProperty _ in element.EnumerateObject()) count++;
                writer.WriteStartMap(count);
                foreach (JsonProperty member in element.EnumerateObject())
                {
                    writer.WriteTextString(member.Name);
                    WriteElement(writer, member.Value);
                }

                writer.WriteEndMap();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray(element.GetArrayLength());
                foreach (JsonElement item in element.EnumerateArray()) WriteElement(writer, item);
                writer.WriteEndArray();
                break;
            case JsonValueKind.String:
                writer.WriteTextString(element.GetString()!);
                break;
            case JsonValueKind.Number:
                WriteNumber(writer, element.GetRawText());
                break;
            case JsonValueKind.True:
            case JsonValueKind.False:
                writer.WriteBoolean(element.GetBoolean());
                break;
            default:
                writer.WriteNull();
                break;
        }
    }

    // RFC 8949 §6.2: a JSON number without fraction or exponent is an integer; the others are floats.
    private static void WriteNumber(CborWriter writer, string json)
    {
        if (json.AsSpan().IndexOfAny('.', 'e', 'E') < 0)
        {
            if (long.TryParse(json, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long l)) writer.WriteInt64(l);
            else if (decimal.TryParse(json, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out decimal m)) WriteDecimal(writer, m);
            else writer.WriteDouble(double.Parse(json, NumberStyles.Float, CultureInfo.InvariantCulture));
            return;
        }

        writer.WriteDouble(double.Parse(json, NumberStyles.Float, CultureInfo.InvariantCulture));
    }

    private static void WriteDecimal(CborWriter writer, decimal value)
    {
        if (decimal.Truncate(value) == value)
        {
            if (value >= 0 && value <= ulong.MaxValue)
            {
                writer.WriteUInt64((ulong)value);
                return;
            }

            if (value < 0 && value >= MinCborInteger)
            {
                writer.WriteCborNegativeIntegerRepresentation((ulong)(-1m - value));
                return;
            }
        }

        writer.WriteDouble((double)value);
    }
}
