using Gateway.Mqtt.Protocol;

namespace Gateway.Mqtt.Packets;

/// <summary>UNSUBSCRIBE (MQTT 5.0 §3.10, 3.1.1 §3.10); at least one filter.</summary>
public sealed record UnsubscribePacket : MqttPacket
{
    public override MqttPacketType Type => MqttPacketType.Unsubscribe;
    public ushort PacketId { get; init; }
    public IReadOnlyList<string> TopicFilters { get; init; } = [];
    public MqttProperties Properties { get; init; } = MqttProperties.Empty;
}
