using System.Text.Encodings.Web;
using System.Text.Json;

namespace Gateway.Devices.ThingsBoard;

/// <summary>Compact JSON text for values. Non-ASCII stays UTF-8 (as ThingsBoard's Gson writes it), not \u-escaped.</summary>
internal static class JsonText
{
    public static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = false };

    public static readonly JsonDocumentOptions ReaderOptions = new() { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip };

    public static string String(string value) => Gateway.Domain.JsonBytes.Text(value);

    public static string Compact(JsonElement element)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(64);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions)) element.WriteTo(writer);
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Parses a device payload; malformed or empty JSON is ThingsBoard's 4.00 (§2.4).</summary>
    public static JsonDocument Parse(ReadOnlyMemory<byte> payload)
    {
        if (payload.IsEmpty) throw new PayloadException("Empty payload.");
        // RFC 8259 §8.1: JSON between systems is UTF-8. The parser checks structure, not the bytes inside
        // strings, and reading such a string later throws: reject the payload here, as malformed.
        if (!System.Text.Unicode.Utf8.IsValid(payload.Span)) throw new PayloadException("JSON is not valid UTF-8.");
        try
        {
            return JsonDocument.Parse(payload, ReaderOptions);
        }
        catch (JsonException e)
        {
            throw new PayloadException("Malformed JSON.", e);
        }
    }
}
