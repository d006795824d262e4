using Gateway.Mqtt.Client;
using Gateway.Mqtt.Protocol;

namespace Gateway.Bridge.Forwarding;

/// <summary>What a PUBACK (or the client's local verdict) means for the rows of the message.</summary>
internal enum PublishVerdict
{
    /// <summary>Reason code below 0x80: ThingsBoard queued every device entry (thingsboard.md §4.4). Ack the rows.</summary>
    Delivered,
    /// <summary>This payload is bad: bisect until the bad row is alone, then dead-letter it.</summary>
    BadPayload,
    /// <summary>The topic itself was refused for these rows: dead-letter all of them (no half can fare better).</summary>
    BadTopic,
    /// <summary>Anything else (quota, server error, not authorised, link gone): release and retry with backoff.</summary>
    Retry,
}

internal static class PublishVerdicts
{
    public static PublishVerdict Of(MqttPublishResult result) => result.ReasonCode switch
    {
        _ when result.IsSuccess => PublishVerdict.Delivered,
        // §4.4: 0x99 = a device entry failed conversion. 0x95 (broker or local: over the Maximum Packet
        // Size, e.g. after reconnecting to a broker with a smaller limit): halves may fit.
        MqttReasonCode.PayloadFormatInvalid or MqttReasonCode.PacketTooLarge => PublishVerdict.BadPayload,
        // §4.2: TOPIC_NAME_INVALID for a topic outside the gateway API.
        MqttReasonCode.TopicNameInvalid => PublishVerdict.BadTopic,
        // 0x97 QUOTA_EXCEEDED (rate limit, then TB closes), 0x80/0x83 (+ close), 0x87, …: the data is fine.
        _ => PublishVerdict.Retry,
    };
}
