namespace Gateway.Mqtt.Protocol;

/// <summary>
/// The byte stream is not valid MQTT (MQTT 5.0 §4.13: Malformed Packet / Protocol Error). On a
/// stream transport the only recovery is to close the connection, so the reader throws this and
/// the connection dies as a unit. A failed read consumes nothing from the buffer.
/// </summary>
public sealed class MqttProtocolException : Exception
{
    public MqttProtocolException(string message, MqttReasonCode reasonCode = MqttReasonCode.MalformedPacket)
        : base(message) => ReasonCode = reasonCode;

    /// <summary>MalformedPacket or ProtocolError: what a DISCONNECT for this error would carry (v5).</summary>
    public MqttReasonCode ReasonCode { get; }
}
