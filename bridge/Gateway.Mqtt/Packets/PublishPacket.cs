using Gateway.Mqtt.Protocol;

namespace Gateway.Mqtt.Packets;

/// <summary>PUBLISH (MQTT 5.0 §3.3, 3.1.1 §3.3). <see cref="PacketId"/> is 0 for QoS 0 (no identifier on the wire).</summary>
public sealed record PublishPacket : MqttPacket
{
    public override MqttPacketType Type => MqttPacketType.Publish;
    public required string Topic { get; init; }
    public ReadOnlyMemory<byte> Payload { get; init; }
    public MqttQualityOfService QoS { get; init; }
    public bool Retain { get; init; }
    public bool Dup { get; init; }
    public ushort PacketId { get; init; }
    public MqttProperties Properties { get; init; } = MqttProperties.Empty;
}
