namespace Gateway.Mqtt.Client;

/// <summary>A v5 User Property, a UTF-8 string pair that may repeat (MQTT 5.0 §3.1.2.11.8, §1.5.7).</summary>
public readonly record struct MqttUserProperty(string Name, string Value);
