namespace Gateway.Mqtt.Protocol;

/// <summary>Subscription option "Retain Handling" (MQTT 5.0 §3.8.3.1, bits 4–5); 3 is malformed.</summary>
public enum MqttRetainHandling : byte
{
    SendAtSubscribe = 0,
    SendAtSubscribeIfNew = 1,
    DoNotSend = 2,
}
