using Gateway.Mqtt.Protocol;

namespace Gateway.Mqtt.Client;

/// <summary>
/// Outcome of one publish: the PUBACK reason code for QoS 1 (always Success on 3.1.1, which has
/// none), or a local verdict with a v5 code when the message was never sent: PacketTooLarge (over
/// the broker's Maximum Packet Size), TopicNameInvalid, QoSNotSupported, RetainNotSupported, or
/// UnspecifiedError for a QoS 0 message while disconnected.
/// </summary>
public sealed record MqttPublishResult(MqttReasonCode ReasonCode, string? ReasonString = null)
{
    public static readonly MqttPublishResult Success = new(MqttReasonCode.Success);

    public bool IsSuccess => ReasonCode.IsSuccess();

    /// <summary>False when the verdict came from this client and not from the broker.</summary>
    public bool FromBroker { get; init; } = true;

    internal static MqttPublishResult Local(MqttReasonCode code, string reason) => new(code, reason) { FromBroker = false };
}
