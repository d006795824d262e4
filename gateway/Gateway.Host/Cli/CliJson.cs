using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.Host.Health;

namespace Gateway.Host.Cli;

/// <summary>
/// JSON output of the <c>--json</c> options: camelCase, indented, stable for scripts. Written from
/// nodes with <see cref="Utf8JsonWriter"/>, which the native build supports without reflection.
/// </summary>
internal static class CliJson
{
    private static readonly JsonWriterOptions Indented = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Write(JsonNode node)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer, Indented)) node.WriteTo(writer);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public static JsonObject Object(IEnumerable<KeyValuePair<string, long>> members)
    {
        var json = new JsonObject();
        foreach (var (name, value) in members) json[name] = value;
        return json;
    }

    public static JsonArray Probes(IEnumerable<ProbeOutcome> probes) =>
        new([.. probes.Select(p => (JsonNode)p.ToJson())]);
}
