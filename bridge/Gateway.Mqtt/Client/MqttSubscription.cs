using Gateway.Mqtt.Protocol;

namespace Gateway.Mqtt.Client;

/// <summary>One topic filter with its subscription options (MQTT 5.0 §3.8.3.1, 3.1.1 §3.8.3.1).</summary>
public sealed record MqttSubscription
{
    public required string TopicFilter { get; init; }
    public MqttQualityOfService QoS { get; init; } = MqttQualityOfService.AtLeastOnce;
    /// <summary>v5 only.</summary>
    public bool NoLocal { get; init; }
    /// <summary>v5 only.</summary>
    public bool RetainAsPublished { get; init; }
    /// <summary>v5 only.</summary>
    public MqttRetainHandling RetainHandling { get; init; }
}
