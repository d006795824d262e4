using Gateway.Mqtt.Protocol;

namespace Gateway.Mqtt.Packets;

/// <summary>UNSUBACK (MQTT 5.0 §3.11, 3.1.1 §3.11). 3.1.1 carries no reason codes (empty list).</summary>
public sealed record UnsubAckPacket : MqttPacket
{
    public override MqttPacketType Type => MqttPacketType.UnsubAck;
    public ushort PacketId { get; init; }
    public IReadOnlyList<MqttReasonCode> ReasonCodes { get; init; } = [];
    public MqttProperties Properties { get; init; } = MqttProperties.Empty;
}
