using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.Devices.ThingsBoard;

namespace Gateway.Devices.Exosite;

/// <summary>
/// Dataport values are UTF-8 text on the Exosite side (peers.md §A.1: "Values are plain UTF-8
/// strings") and typed key-values on the ThingsBoard side: the text is typed exactly like a
/// ThingsBoard string value (<see cref="KeyValueParser"/>, thingsboard.md §1.1), so <c>"37"</c> goes
/// upstream as LONG 37, <c>"26.1"</c> as DOUBLE, <c>"on"</c> as STRING.
/// </summary>
public static class ExositeValues
{
    /// <summary>The typed key-value for a dataport write (never skipped: a string is never null).</summary>
    public static KeyValue Type(string alias, string text)
    {
        using var document = JsonDocument.Parse(Gateway.Domain.JsonBytes.Of(text));
        KeyValueParser.TryParseValue(alias, document.RootElement, out var value);
        return value;
    }

    /// <summary>The text a CBOR/JSON value stands for in a multiple write or an RPC write: strings as themselves, anything else as compact JSON.</summary>
    public static string ToText(JsonNode? node) => node switch
    {
        null => "null",
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        _ => node.ToJsonString(),
    };

    /// <summary>
    /// A stored value as the JSON-RPC API returns it (§A.3 <c>read</c>: <c>[[ts, value]]</c>, the doc's
    /// example returns <c>64.2</c> as a number): numeric text as a number, anything else as a string.
    /// </summary>
    public static JsonNode? ToJson(string text)
    {
        if (!KeyValueParser.IsParsable(text)) return JsonValue.Create(text);
        var typed = Type("v", text);
        return typed.Type switch
        {
            KeyValueType.Long => JsonValue.Create(long.Parse(typed.Json, CultureInfo.InvariantCulture)),
            KeyValueType.Double => JsonValue.Create(double.Parse(typed.Json, CultureInfo.InvariantCulture)),
            _ => JsonValue.Create(text),
        };
    }

    /// <summary>The values object of one telemetry record (UplinkPayloads.Telemetry) from typed key-values.</summary>
    public static JsonObject ToValues(IEnumerable<KeyValue> values)
    {
        var result = new JsonObject();
        foreach (var kv in values) result[kv.Key] = JsonNode.Parse(kv.Json);
        return result;
    }
}
