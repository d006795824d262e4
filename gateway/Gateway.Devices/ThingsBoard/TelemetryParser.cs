using System.Buffers;
using System.Globalization;
using System.Text.Json;

namespace Gateway.Devices.ThingsBoard;

/// <summary>
/// The four telemetry payload forms (thingsboard.md §1.2): an object, an array of objects, a
/// <c>{"ts","values"}</c> object, and an array mixing both. An object is the ts form only when it has
/// both <c>ts</c> and <c>values</c>; otherwise <c>ts</c> is an ordinary key. Elements without their
/// own ts get the server time, all the same one. A non-object element, a non-object <c>values</c>
/// or an unreadable <c>ts</c> is a parse error (4.00).
/// </summary>
public static class TelemetryParser
{
    public static List<TelemetryRecord> Parse(ReadOnlyMemory<byte> payload, long serverTs)
    {
        using var document = JsonText.Parse(payload);
        var root = document.RootElement;
        var records = new List<TelemetryRecord>();
        switch (root.ValueKind)
        {
            case JsonValueKind.Object:
                records.Add(ParseElement(root, serverTs));
                break;
            case JsonValueKind.Array:
                foreach (var element in root.EnumerateArray())
                {
                    if (element.ValueKind != JsonValueKind.Object) throw new PayloadException("Telemetry array elements must be JSON objects.");
                    records.Add(ParseElement(element, serverTs));
                }
                break;
            default:
                throw new PayloadException("Telemetry must be a JSON object or array.");
        }
        return records;
    }

    private static TelemetryRecord ParseElement(JsonElement element, long serverTs)
    {
        if (element.TryGetProperty("ts", out var ts) && element.TryGetProperty("values", out var values))
        {
            if (values.ValueKind != JsonValueKind.Object) throw new PayloadException("\"values\" must be a JSON object.");
            return new TelemetryRecord(ReadTs(ts), KeyValueParser.ParseObject(values));
        }
        return new TelemetryRecord(serverTs, KeyValueParser.ParseObject(element));
    }

    /// <summary>Gson's <c>getAsLong</c>: a number (fraction truncated) or a string of a long.</summary>
    private static long ReadTs(JsonElement ts)
    {
        if (ts.ValueKind == JsonValueKind.Number)
        {
            if (ts.TryGetInt64(out long exact)) return exact;
            if (ts.TryGetDouble(out double d) && d is >= long.MinValue and <= long.MaxValue) return (long)d;
        }
        else if (ts.ValueKind == JsonValueKind.String && long.TryParse(ts.GetString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long parsed))
        {
            return parsed;
        }
        throw new PayloadException("\"ts\" must be a number of milliseconds.");
    }

    /// <summary>
    /// The outbox row payload of <c>UplinkPayloads</c> (Gateway.Domain): <c>[{"ts":ms,"values":{…}}]</c>,
    /// values written as their typed JSON text so ThingsBoard types them the same way again.
    /// </summary>
    public static byte[] ToOutboxPayload(IEnumerable<TelemetryRecord> records)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, JsonText.WriterOptions))
        {
            writer.WriteStartArray();
            foreach (var record in records)
            {
                writer.WriteStartObject();
                writer.WriteNumber("ts", record.Ts);
                writer.WritePropertyName("values");
                WriteValues(writer, record.Values);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Writes typed values as one object (<c>{"k":v,…}</c>).</summary>
    public static void WriteValues(Utf8JsonWriter writer, IEnumerable<KeyValue> values)
    {
        writer.WriteStartObject();
        foreach (var value in values)
        {
            writer.WritePropertyName(value.Key);
            writer.WriteRawValue(value.Json, skipInputValidation: true);
        }
        writer.WriteEndObject();
    }
}
