using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Gateway.Domain;

/// <summary>
/// UTF-8 JSON for the values the gateway builds itself (nodes, strings, string maps), written with
/// <see cref="Utf8JsonWriter"/> rather than the reflection-based <c>JsonSerializer</c>, so the
/// native (AOT, trimmed) build serializes exactly what the JIT build does.
/// </summary>
public static class JsonBytes
{
    // ThingsBoard and devices read UTF-8 JSON; escaping every non-ASCII character or '<' gains nothing here.
    private static readonly JsonWriterOptions Relaxed = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The node as compact JSON; null as <c>null</c>.</summary>
    public static byte[] Of(JsonNode? node) => Write(writer =>
    {
        if (node is null) writer.WriteNullValue();
        else node.WriteTo(writer);
    });

    /// <summary>The string as a JSON string literal (quoted, escaped).</summary>
    public static byte[] Of(string value) => Write(writer => writer.WriteStringValue(value));

    /// <summary>A flat object of string members, e.g. <c>{"error":"…"}</c>.</summary>
    public static byte[] Of(IEnumerable<KeyValuePair<string, string>> members) => Write(writer =>
    {
        writer.WriteStartObject();
        foreach (var (name, value) in members) writer.WriteString(name, value);
        writer.WriteEndObject();
    });

    /// <summary>The string as a JSON string literal, as text.</summary>
    public static string Text(string value) => System.Text.Encoding.UTF8.GetString(Of(value));

    private static byte[] Write(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(buffer, Relaxed)) write(writer);
        return buffer.WrittenSpan.ToArray();
    }
}
