namespace Gateway.Mqtt.Protocol;

/// <summary>
/// The protocol level byte of CONNECT (MQTT 5.0 §3.1.2.2, MQTT 3.1.1 §3.1.2.2). The numeric values
/// are the wire values so a cast is the encoding.
/// </summary>
public enum MqttProtocolVersion : byte
{
    V311 = 4,
    V500 = 5,
}
