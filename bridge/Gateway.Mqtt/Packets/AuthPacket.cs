using Gateway.Mqtt.Protocol;

namespace Gateway.Mqtt.Packets;

/// <summary>AUTH (MQTT 5.0 §3.15), enhanced authentication; decoded and encoded, not used by the client.</summary>
public sealed record AuthPacket : MqttPacket
{
    public override MqttPacketType Type => MqttPacketType.Auth;
    public MqttReasonCode ReasonCode { get; init; }
    public MqttProperties Properties { get; init; } = MqttProperties.Empty;
}
