using Gateway.Mqtt.Protocol;

namespace Gateway.Mqtt.Packets;

/// <summary>SUBSCRIBE (MQTT 5.0 §3.8, 3.1.1 §3.8); at least one subscription (§3.8.3).</summary>
public sealed record SubscribePacket : MqttPacket
{
    public override MqttPacketType Type => MqttPacketType.Subscribe;
    public ushort PacketId { get; init; }
    public IReadOnlyList<MqttSubscription> Subscriptions { get; init; } = [];
    public MqttProperties Properties { get; init; } = MqttProperties.Empty;
}
