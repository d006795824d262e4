using System.Text.Json;
using Gateway.Storage.Outbox;

namespace Gateway.Bridge.Forwarding;

/// <summary>
/// Checks that an outbox row is well-formed JSON of the shape its kind promises (Gateway.Domain
/// <c>UplinkPayloads</c>) before it goes into a PUBLISH. On MQTT 3.1.1 one bad device entry closes
/// the whole connection (thingsboard.md §4.4 <c>ackOrClose</c>), and the client would resend it on
/// every reconnect: a row that fails here is dead-lettered instead and never reaches the wire.
/// </summary>
internal static class RowValidator
{
    private static readonly JsonDocumentOptions Options = new() { MaxDepth = 64 };
    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = Options.MaxDepth };

    /// <summary>Null when the row can be sent; otherwise a short reason (stored with the dead letter).</summary>
    public static string? Validate(OutboxEntry row)
    {
        var message = row.Message;
        if (string.IsNullOrEmpty(message.Device)) return "empty device name";
        if (message.ContentFormat != 50) return $"content format {message.ContentFormat} is not JSON (50)";
        // The drain's bulk: checked in one pass; only a row that fails it is parsed again, for the reason.
        if (message.Kind is OutboxMessageKind.Telemetry or OutboxMessageKind.GatewayTelemetry && TelemetryIsValid(message.Payload.Span)) return null;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(message.Payload, Options);
        }
        catch (JsonException e)
        {
            return "not JSON: " + Shorten(e.Message);
        }
        using (document)
        {
            var root = document.RootElement;
            return message.Kind switch
            {
                // §4.3: each device's value must be an array of {"ts","values"} or flat objects; an empty one is an error upstream.
                OutboxMessageKind.Telemetry => Telemetry(root),
                // §1.3: attributes are a JSON object only.
                OutboxMessageKind.ClientAttributes => root.ValueKind == JsonValueKind.Object ? null : "client attributes: not an object",
                // §1.5: secretKey string, durationMs number, both optional.
                OutboxMessageKind.Claim => Claim(root),
                // §4.2: the row is merged into {"device":…, …}; a "device" of its own would be a duplicate key.
                OutboxMessageKind.DeviceConnect => Fragment(root) ?? (root.TryGetProperty("type", out var type) && type.ValueKind != JsonValueKind.String ? "connect: type is not a string" : null),
                OutboxMessageKind.DeviceDisconnect => Fragment(root),
                OutboxMessageKind.RpcReply => Fragment(root) ?? RpcReply(root),
                OutboxMessageKind.AttributeRequest => Fragment(root) ?? AttributeRequest(root),
                // The gateway device's own device API (§1.2, §1.3): the same shapes as a device's.
                OutboxMessageKind.GatewayTelemetry => Telemetry(root),
                OutboxMessageKind.GatewayAttributes => root.ValueKind == JsonValueKind.Object ? null : "gateway attributes: not an object",
                _ => $"unknown kind {(int)message.Kind}",
            };
        }
    }

    /// <summary>
    /// True exactly when the payload is JSON (as <see cref="JsonDocument.Parse(ReadOnlyMemory{byte}, JsonDocumentOptions)"/>
    /// with <see cref="Options"/> reads it) and <see cref="Telemetry(JsonElement)"/> finds nothing wrong, read once
    /// with <see cref="Utf8JsonReader"/> and no document: building one per row was 7 % of the drain's CPU samples.
    /// A repeated "ts" or "values" counts by its last occurrence, as <see cref="JsonElement.TryGetProperty(string, out JsonElement)"/> finds it.
    /// </summary>
    internal static bool TelemetryIsValid(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json, ReaderOptions);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray) return false;
            int entries = 0;
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                if (reader.TokenType != JsonTokenType.StartObject) return false;
                entries++;
                bool? tsIsInteger = null, valuesIsObject = null;
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    bool ts = reader.ValueTextEquals("ts"u8), values = !ts && reader.ValueTextEquals("values"u8);
                    reader.Read();
                    if (ts) tsIsInteger = reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out _);
                    else if (values) valuesIsObject = reader.TokenType == JsonTokenType.StartObject;
                    reader.Skip();
                }
                if (reader.TokenType != JsonTokenType.EndObject) return false;
                // thingsboard.md §1.2: "ts form" only with both keys; then ts an integer and values an object.
                if (tsIsInteger is { } integer && valuesIsObject is { } isObject && !(integer && isObject)) return false;
            }
            // Nothing may follow the array but white space (the reader throws on anything else).
            return reader.TokenType == JsonTokenType.EndArray && entries > 0 && !reader.Read();
        }
        catch (JsonException)
        {
            return false;
        }
    }

    internal static string? Telemetry(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Array) return "telemetry: not an array";
        if (root.GetArrayLength() == 0) return "telemetry: empty array";
        foreach (var item in root.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object) return "telemetry: an entry is not an object";
            // §1.2: an object is in "ts form" only with both keys; then ts must be a number and values an object.
            if (item.TryGetProperty("ts", out var ts) && item.TryGetProperty("values", out var values))
            {
                if (ts.ValueKind != JsonValueKind.Number || !ts.TryGetInt64(out _)) return "telemetry: ts is not an integer";
                if (values.ValueKind != JsonValueKind.Object) return "telemetry: values is not an object";
            }
        }
        return null;
    }

    private static string? Claim(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object) return "claim: not an object";
        if (root.TryGetProperty("secretKey", out var key) && key.ValueKind != JsonValueKind.String) return "claim: secretKey is not a string";
        if (root.TryGetProperty("durationMs", out var duration) && (duration.ValueKind != JsonValueKind.Number || !duration.TryGetInt64(out _)))
            return "claim: durationMs is not an integer";
        return null;
    }

    private static string? RpcReply(JsonElement root)
    {
        if (!root.TryGetProperty("id", out var id) || id.ValueKind != JsonValueKind.Number || !id.TryGetInt64(out _)) return "rpc reply: id is not an integer";
        return root.TryGetProperty("data", out _) ? null : "rpc reply: no data";
    }

    private static string? AttributeRequest(JsonElement root)
    {
        if (!root.TryGetProperty("id", out var id) || id.ValueKind != JsonValueKind.Number || !id.TryGetInt32(out _)) return "attribute request: id is not a 32-bit integer";
        // §4.2 ⚠: the server reads "client" as a boolean scope flag plus "key"/"keys"; the newer doc's arrays throw on the server.
        if (!root.TryGetProperty("client", out var client) || client.ValueKind is not (JsonValueKind.True or JsonValueKind.False)) return "attribute request: client is not a boolean";
        if (!root.TryGetProperty("keys", out var keys) || keys.ValueKind != JsonValueKind.Array) return "attribute request: keys is not an array";
        foreach (var key in keys.EnumerateArray())
            if (key.ValueKind != JsonValueKind.String) return "attribute request: a key is not a string";
        return null;
    }

    private static string? Fragment(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object) return "not an object";
        return root.TryGetProperty("device", out _) ? "has its own \"device\" key" : null;
    }

    private static string Shorten(string s) => s.Length <= 120 ? s : s[..120];
}
