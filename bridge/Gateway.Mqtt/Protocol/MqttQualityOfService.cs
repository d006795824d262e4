namespace Gateway.Mqtt.Protocol;

/// <summary>QoS levels (MQTT 5.0 §4.3, 3.1.1 §4.3). This client sends and subscribes with 0 and 1 only.</summary>
public enum MqttQualityOfService : byte
{
    AtMostOnce = 0,
    AtLeastOnce = 1,
    ExactlyOnce = 2,
}
