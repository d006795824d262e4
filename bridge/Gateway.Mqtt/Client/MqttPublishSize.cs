using System.Text;
using Gateway.Mqtt.Protocol;

namespace Gateway.Mqtt.Client;

/// <summary>
/// The size a PUBLISH of a message takes on the wire (MQTT 5.0 §3.3, 3.1.1 §3.3), computed, not
/// encoded: the client refuses locally what exceeds the broker's Maximum Packet Size (a broker
/// closes the connection on an oversized packet, §3.1.2.11.4), and the tests check packing with it.
/// </summary>
public static class MqttPublishSize
{
    public static int Of(MqttMessage message, MqttProtocolVersion version)
    {
        ArgumentNullException.ThrowIfNull(message);
        int remaining = 2 + Encoding.UTF8.GetByteCount(message.Topic)
            + (message.QoS == MqttQualityOfService.AtMostOnce ? 0 : 2)
            + message.Payload.Length;
        if (version == MqttProtocolVersion.V500)
        {
            int properties = PropertiesLength(message);
            remaining += VariableByteIntegerLength(properties) + properties;
        }
        return 1 + VariableByteIntegerLength(remaining) + remaining;
    }

    private static int PropertiesLength(MqttMessage m)
    {
        static int Text(string? s) => s is null ? 0 : 1 + 2 + Encoding.UTF8.GetByteCount(s);
        int length = Text(m.ContentType) + Text(m.ResponseTopic);
        if (m.CorrelationData is { } data) length += 1 + 2 + data.Length;
        if (m.MessageExpiryInterval is not null) length += 1 + 4;
        if (m.PayloadFormatIndicator is not null) length += 1 + 1;
        foreach (var p in m.UserProperties) length += 1 + 2 + Encoding.UTF8.GetByteCount(p.Name) + 2 + Encoding.UTF8.GetByteCount(p.Value);
        return length;
    }

    /// <summary>MQTT 5.0 §1.5.5: 7 bits per byte.</summary>
    private static int VariableByteIntegerLength(int value) => value switch
    {
        < 128 => 1,
        < 16_384 => 2,
        < 2_097_152 => 3,
        _ => 4,
    };
}
