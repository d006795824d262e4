using Gateway.Mqtt.Protocol;

namespace Gateway.Mqtt.Client;

/// <summary>
/// The application model of a message, in both directions. No packet id, DUP flag or topic alias:
/// those belong to the wire (MQTTnet's <c>MqttApplicationMessage</c>, mapped in <see cref="MqttWire"/>). MQTT 5 fields are ignored on 3.1.1.
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
}
