using Gateway.Mqtt.Protocol;

namespace Gateway.Mqtt.Client;

/// <summary>
/// The one exception for "the connection could not be made or is gone", with the cause as an enum
/// (the QuicException style) instead of one class per cause. Broker refusals of single requests
/// (PUBACK, SUBACK reason codes) are results, never this.
/// </summary>
public sealed class MqttConnectionException : Exception
{
    public MqttConnectionException(MqttDisconnectReason reason, string message, MqttReasonCode? reasonCode = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Reason = reason;
        ReasonCode = reasonCode;
    }

    public MqttDisconnectReason Reason { get; }

    /// <summary>The CONNACK or DISCONNECT reason code when the broker gave one.</summary>
    public MqttReasonCode? ReasonCode { get; }
}
