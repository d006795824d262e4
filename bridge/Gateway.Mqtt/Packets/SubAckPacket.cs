using Gateway.Mqtt.Protocol;

namespace Gateway.Mqtt.Packets;

/// <summary>
/// SUBACK (MQTT 5.0 §3.9, 3.1.1 §3.9): one code per requested filter. The 3.1.1 return codes 0, 1,
/// 2 and 0x80 have the same values as the v5 codes Granted QoS 0/1/2 and Unspecified error.
/// </summary>
public sealed record SubAckPacket : MqttPacket
{
    public override MqttPacketType Type => MqttPacketType.SubAck;
    public ushort PacketId { get; init; }
    public IReadOnlyList<MqttReasonCode> ReasonCodes { get; init; } = [];
    public MqttProperties Properties { get; init; } = MqttProperties.Empty;
}
