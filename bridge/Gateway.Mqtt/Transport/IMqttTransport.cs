namespace Gateway.Mqtt.Transport;

/// <summary>
/// Opens byte streams to the broker and nothing else: no framing, no MQTT. TCP (optionally TLS) in
/// production, pipes in tests; everything above is unaware which one it runs on.
/// </summary>
public interface IMqttTransport
{
    /// <summary>Opens a new stream. Failures (refused, unreachable, TLS) surface as exceptions.</summary>
    ValueTask<IMqttTransportConnection> ConnectAsync(CancellationToken cancellationToken);
}
