using Gateway.Mqtt.Packets;
using Gateway.Mqtt.Protocol;

namespace Gateway.Mqtt.Client;

/// <summary>
/// The application model of a message, in both directions. No packet id, DUP flag or topic alias:
/// those belong to the wire (see <see cref="PublishPacket"/>). MQTT 5 fields are ignored on 3.1.1.
/// </summary>
public sealed record MqttMessage
{
    public required string Topic { get; init; }
    public ReadOnlyMemory<byte> Payload { get; init; }
    /// <summary>Default QoS 1: ThingsBoard acknowledges only QoS 1 publishes (thingsboard.md §4.4).</summary>
    public MqttQualityOfService QoS { get; init; } = MqttQualityOfService.AtLeastOnce;
    public bool Retain { get; init; }
    public string? ContentType { get; init; }
    public string? ResponseTopic { get; init; }
    public ReadOnlyMemory<byte>? CorrelationData { get; init; }
    public uint? MessageExpiryInterval { get; init; }
    /// <summary>1 = the payload is UTF-8 text (MQTT 5.0 §3.3.2.3.2).</summary>
    public byte? PayloadFormatIndicator { get; init; }
    public IReadOnlyList<MqttUserProperty> UserProperties { get; init; } = [];

    internal PublishPacket ToPacket(ushort packetId) => new()
    {
        Topic = Topic, Payload = Payload, QoS = QoS, Retain = Retain, PacketId = packetId,
        Properties = ContentType is null && ResponseTopic is null && CorrelationData is null && MessageExpiryInterval is null
                     && PayloadFormatIndicator is null && UserProperties.Count == 0
            ? MqttProperties.Empty
            : new MqttProperties
            {
                ContentType = ContentType, ResponseTopic = ResponseTopic, CorrelationData = CorrelationData,
                MessageExpiryInterval = MessageExpiryInterval, PayloadFormatIndicator = PayloadFormatIndicator, UserProperties = UserProperties,
            },
    };

    internal static MqttMessage FromPacket(PublishPacket p) => new()
    {
        Topic = p.Topic, Payload = p.Payload, QoS = p.QoS, Retain = p.Retain,
        ContentType = p.Properties.ContentType, ResponseTopic = p.Properties.ResponseTopic, CorrelationData = p.Properties.CorrelationData,
        MessageExpiryInterval = p.Properties.MessageExpiryInterval, PayloadFormatIndicator = p.Properties.PayloadFormatIndicator,
        UserProperties = p.Properties.UserProperties,
    };
}
