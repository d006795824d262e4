using Gateway.Mqtt.Protocol;

namespace Gateway.Mqtt.Packets;

/// <summary>PUBACK (MQTT 5.0 §3.4, 3.1.1 §3.4). 3.1.1 has no reason code: it always reads as Success.</summary>
public sealed record PubAckPacket : MqttPacket
{
    public override MqttPacketType Type => MqttPacketType.PubAck;
    public ushort PacketId { get; init; }
    public MqttReasonCode ReasonCode { get; init; }
    public MqttProperties Properties { get; init; } = MqttProperties.Empty;
}
