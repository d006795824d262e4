using Gateway.Mqtt.Protocol;

namespace Gateway.Mqtt.Packets;

/// <summary>
/// CONNACK (MQTT 5.0 §3.2, 3.1.1 §3.2). On 3.1.1 the return code 0–5 is mapped to the equivalent
/// v5 reason code (<see cref="MqttReasonCodes.TryFromV311ConnectReturnCode"/>).
/// </summary>
public sealed record ConnAckPacket : MqttPacket
{
    public override MqttPacketType Type => MqttPacketType.ConnAck;
    public bool SessionPresent { get; init; }
    public MqttReasonCode ReasonCode { get; init; }
    public MqttProperties Properties { get; init; } = MqttProperties.Empty;
}
