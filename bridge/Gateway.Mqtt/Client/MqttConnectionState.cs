namespace Gateway.Mqtt.Client;

public enum MqttConnectionState
{
    /// <summary>Not connected; the supervisor waits for its backoff delay (or was never started).</summary>
    Disconnected,
    Connecting,
    /// <summary>CONNACK accepted and subscriptions re-made; publishes flow.</summary>
    Connected,
    /// <summary>Stopped for good by <see cref="MqttClient.StopAsync"/>.</summary>
    Stopped,
}
