namespace Gateway.Mqtt.Client;

/// <summary>
/// Raised on every state change. On <see cref="MqttConnectionState.Connected"/> the bridge must
/// re-announce its devices (ThingsBoard forgets them with the session, thingsboard.md §4.5).
/// </summary>
public sealed class MqttConnectionStateChangedEventArgs(MqttConnectionState state, int connectCount, bool sessionPresent, MqttConnectionException? error) : EventArgs
{
    public MqttConnectionState State { get; } = state;
    /// <summary>1 on the first successful connect, 2 after the first reconnect, and so on.</summary>
    public int ConnectCount { get; } = connectCount;
    public bool IsReconnect => State == MqttConnectionState.Connected && ConnectCount > 1;
    public bool SessionPresent { get; } = sessionPresent;
    /// <summary>Why the previous connection ended or the attempt failed, when known.</summary>
    public MqttConnectionException? Error { get; } = error;
}
