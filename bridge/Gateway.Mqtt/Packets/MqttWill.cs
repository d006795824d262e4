using Gateway.Mqtt.Protocol;

namespace Gateway.Mqtt.Packets;

/// <summary>The Will Message carried in CONNECT (MQTT 5.0 §3.1.2.5, §3.1.3.2–3.1.3.4; 3.1.1 §3.1.2.5).</summary>
public sealed record MqttWill
{
    public required string Topic { get; init; }
    public ReadOnlyMemory<byte> Payload { get; init; }
    public MqttQualityOfService QoS { get; init; }
    public bool Retain { get; init; }
    /// <summary>Will Properties (v5 only, §3.1.3.2).</summary>
    public MqttProperties Properties { get; init; } = MqttProperties.Empty;
}
