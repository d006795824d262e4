using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Gateway.Mqtt.Client;

namespace Gateway.Bridge.Devices;

/// <summary>The bridge's own device messages (not from outbox rows): re-announcements and disconnects (thingsboard.md §4.2).</summary>
internal static class DeviceMessages
{
    private static readonly JsonWriterOptions Writer = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary><c>{"device":"Name","type":"Profile"}</c> on <c>v1/gateway/connect</c>; type omitted when unknown (then "default").</summary>
    public static MqttMessage Connect(string device, string? type) => new()
    {
        Topic = GatewayTopics.Connect,
        Payload = Json(w =>
        {
            w.WriteString("device", device);
            if (type is not null) w.WriteString("type", type);
        }),
    };

    /// <summary><c>{"device":"Name"}</c> on <c>v1/gateway/disconnect</c>: ThingsBoard stops its downlinks (§4.5).</summary>
    public static MqttMessage Disconnect(string device) => new()
    {
        Topic = GatewayTopics.Disconnect,
        Payload = Json(w => w.WriteString("device", device)),
    };

    /// <summary><c>{"device","id","data":{"error":…}}</c> on <c>v1/gateway/rpc</c>: an explicit failure instead of silence.</summary>
    public static MqttMessage RpcError(string device, long id, string error) => new()
    {
        Topic = GatewayTopics.Rpc,
        Payload = Json(w =>
        {
            w.WriteString("device", device);
            w.WriteNumber("id", id);
            w.WriteStartObject("data");
            w.WriteString("error", error);
            w.WriteEndObject();
        }),
    };

    public static byte[] Json(Action<Utf8JsonWriter> members)
    {
        var buffer = new ArrayBufferWriter<byte>(64);
        using (var writer = new Utf8JsonWriter(buffer, Writer))
        {
            writer.WriteStartObject();
            members(writer);
            writer.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }
}
