namespace Gateway.Mqtt.Client;

/// <summary>A snapshot of the client's counters (monotonic since start), for /metrics and status.</summary>
public readonly record struct MqttClientCounters(
    long Connects,
    long Reconnects,
    long ConnectFailures,
    long PublishesSent,
    long PublishesResent,
    long PublishesAcknowledged,
    long PubAckFailures,
    long MessagesReceived,
    long MessagesDropped);
