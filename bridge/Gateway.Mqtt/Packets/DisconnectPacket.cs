using Gateway.Mqtt.Protocol;

namespace Gateway.Mqtt.Packets;

/// <summary>
/// DISCONNECT (MQTT 5.0 §3.14, 3.1.1 §3.14). In v5 either side may send it, with a reason code;
/// 3.1.1 has only the client's empty form.
/// </summary>
public sealed record DisconnectPacket : MqttPacket
{
    public override MqttPacketType Type => MqttPacketType.Disconnect;
    public MqttReasonCode ReasonCode { get; init; }
    public MqttProperties Properties { get; init; } = MqttProperties.Empty;
}
