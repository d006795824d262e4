namespace Gateway.Mqtt.Client;

/// <summary>Why a connection attempt failed or a live connection ended.</summary>
public enum MqttDisconnectReason
{
    /// <summary>The broker answered CONNECT with a failure reason code (see <see cref="MqttConnectionException.ReasonCode"/>).</summary>
    ConnectRefused,
    /// <summary>No CONNACK within the connect timeout.</summary>
    ConnectTimeout,
    /// <summary>Socket or TLS error: refused, reset, unreachable, certificate rejected.</summary>
    TransportError,
    /// <summary>The broker closed the stream without a DISCONNECT.</summary>
    ClosedByPeer,
    /// <summary>The broker sent bytes that are not valid MQTT, or a packet it must not send.</summary>
    ProtocolError,
    /// <summary>Nothing arrived from the broker within 1.5 × keep alive: the link is dead.</summary>
    KeepAliveTimeout,
    /// <summary>The broker sent DISCONNECT (MQTT 5 only), e.g. session taken over, quota exceeded.</summary>
    ServerDisconnect,
    /// <summary>This side closed the connection normally.</summary>
    ClientDisconnect,
}
