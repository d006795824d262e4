using Gateway.Mqtt.Protocol;

namespace Gateway.Mqtt.Client;

/// <summary>
/// SUBACK codes in request order (Granted QoS 0/1 or a failure ≥ 0x80). <see cref="Deferred"/>:
/// the client is not connected; the subscription is remembered and made on the next connect.
/// </summary>
public sealed record MqttSubscribeResult(IReadOnlyList<MqttReasonCode> ReasonCodes, bool Deferred)
{
    public bool AllGranted => !Deferred && ReasonCodes.All(c => c.IsSuccess());
}
