using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Gateway.Domain;

/// <summary>
/// The JSON stored in an outbox row's payload, per kind. Each is exactly the per-device fragment of
/// ThingsBoard's gateway MQTT API (reference/thingsboard.md §4.2), so the forwarder packs rows of
/// many devices into one PUBLISH by copying raw JSON, without re-parsing values:
/// <list type="table">
/// <item><term>Telemetry</term><description>array of <c>{"ts":ms,"values":{…}}</c> — the value of <c>{"Dev":[…]}</c> on <c>v1/gateway/telemetry</c>; ts always set (stamped at receipt when the device sent none)</description></item>
/// <item><term>ClientAttributes</term><description>object <c>{"k":v}</c> — the value of <c>{"Dev":{…}}</c> on <c>v1/gateway/attributes</c></description></item>
/// <item><term>RpcReply</term><description><c>{"id":n,"data":…}</c> — published as <c>{"device":"Dev","id":n,"data":…}</c> on <c>v1/gateway/rpc</c></description></item>
/// <item><term>Claim</term><description><c>{"secretKey":"…","durationMs":n}</c> (either may be absent) — value of <c>{"Dev":{…}}</c> on <c>v1/gateway/claim</c></description></item>
/// <item><term>DeviceConnect</term><description><c>{"type":"profile"}</c> — <c>{"device":"Dev","type":…}</c> on <c>v1/gateway/connect</c></description></item>
/// <item><term>DeviceDisconnect</term><description><c>{}</c> — <c>{"device":"Dev"}</c> on <c>v1/gateway/disconnect</c></description></item>
/// <item><term>AttributeRequest</term><description><c>{"id":n,"client":bool,"keys":[…]}</c> — plus <c>"device"</c> on <c>v1/gateway/attributes/request</c></description></item>
/// </list>
/// Builders exist for the rows assembled from JSON nodes; client attributes and ThingsBoard telemetry
/// are written by the device layer straight from typed key-values (thingsboard.md §1.1), and
/// disconnects and attribute requests go to the cloud directly from the bridge today (the bridge still
/// validates such rows should a producer appear).
/// </summary>
public static class UplinkPayloads
{
    /// <summary>One telemetry record: a timestamp (Unix ms) and its values as a JSON object.</summary>
    public static byte[] Telemetry(IEnumerable<(long Ts, JsonObject Values)> records)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            foreach (var (ts, values) in records)
            {
                writer.WriteStartObject();
                writer.WriteNumber("ts", ts);
                writer.WritePropertyName("values");
                values.WriteTo(writer);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
        }
        return buffer.WrittenSpan.ToArray();
    }

    public static byte[] RpcReply(long requestId, JsonNode? data)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteNumber("id", requestId);
            writer.WritePropertyName("data");
            if (data is null) writer.WriteNullValue();
            else data.WriteTo(writer);
            writer.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    public static byte[] Claim(string? secretKey, long? durationMs)
    {
        var claim = new JsonObject();
        if (secretKey is not null) claim["secretKey"] = secretKey;
        if (durationMs is not null) claim["durationMs"] = durationMs;
        return JsonBytes.Of(claim);
    }

    public static byte[] DeviceConnect(string? type) =>
        JsonBytes.Of(type is null ? new JsonObject() : new JsonObject { ["type"] = type });
}
