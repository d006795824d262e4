using Gateway.Mqtt.Protocol;

namespace Gateway.Mqtt.Packets;

/// <summary>
/// The wire model: one MQTT control packet with its ids and flags. Application code uses
/// <c>MqttMessage</c> instead; only the protocol library sees packets.
/// </summary>
public abstract record MqttPacket
{
    public abstract MqttPacketType Type { get; }
}
