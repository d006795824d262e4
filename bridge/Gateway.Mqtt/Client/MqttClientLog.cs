using Microsoft.Extensions.Logging;

namespace Gateway.Mqtt.Client;

/// <summary>Source-generated log methods for <see cref="MqttClient"/>; event ids 1–29 are fixed, greppable in the journal.</summary>
internal static partial class MqttClientLog
{
    [LoggerMessage(1, LogLevel.Information, "Connecting to MQTT broker {Endpoint} as '{ClientId}' (MQTT {Version})")]
    public static partial void Connecting(ILogger logger, string endpoint, string clientId, string version);

    [LoggerMessage(2, LogLevel.Information, "Connected to MQTT broker (session present {SessionPresent}, receive maximum {ReceiveMaximum}, maximum packet size {MaximumPacketSize}, keep alive {KeepAlive})")]
    public static partial void Connected(ILogger logger, bool sessionPresent, int receiveMaximum, int maximumPacketSize, TimeSpan keepAlive);

    [LoggerMessage(3, LogLevel.Warning, "MQTT connect failed ({Reason}): {Message}; next attempt in {Delay}")]
    public static partial void ConnectFailed(ILogger logger, MqttDisconnectReason reason, string message, TimeSpan delay);

    [LoggerMessage(4, LogLevel.Warning, "MQTT connection lost ({Reason}): {Message}; publishes awaiting a PUBACK are sent again on the next connection")]
    public static partial void ConnectionLost(ILogger logger, MqttDisconnectReason reason, string message);

    [LoggerMessage(5, LogLevel.Warning, "PUBLISH to {Topic} rejected by the broker: {ReasonCode} {ReasonString}")]
    public static partial void PublishRejected(ILogger logger, string topic, string reasonCode, string? reasonString);

    [LoggerMessage(6, LogLevel.Warning, "SUBSCRIBE {TopicFilter} refused by the broker: {ReasonCode}")]
    public static partial void SubscribeRefused(ILogger logger, string topicFilter, string reasonCode);

    [LoggerMessage(7, LogLevel.Warning, "Inbound QoS 0 message on {Topic} dropped: the inbound queue is full ({Capacity})")]
    public static partial void InboundDropped(ILogger logger, string topic, int capacity);

    [LoggerMessage(8, LogLevel.Information, "MQTT client stopped")]
    public static partial void Stopped(ILogger logger);

    [LoggerMessage(9, LogLevel.Error, "A ConnectionStateChanged handler threw; the client carries on")]
    public static partial void StateHandlerFailed(ILogger logger, Exception exception);

    [LoggerMessage(10, LogLevel.Error, "Unexpected error in the MQTT supervisor; reconnecting in {Delay}")]
    public static partial void SupervisorError(ILogger logger, Exception exception, TimeSpan delay);

    [LoggerMessage(11, LogLevel.Debug, "Re-subscribed {Count} topic filters")]
    public static partial void Resubscribed(ILogger logger, int count);

    [LoggerMessage(12, LogLevel.Warning, "No answer to PINGREQ: the MQTT link is dead (nothing heard for {Limit})")]
    public static partial void DeadLink(ILogger logger, TimeSpan limit);
}
