using Gateway.Mqtt.Packets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Mqtt.Connection;

/// <summary>What a <see cref="MqttConnection"/> needs besides the CONNECT packet.</summary>
public sealed class MqttConnectionSettings
{
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
    public ILogger Logger { get; init; } = NullLogger.Instance;
    /// <summary>Bound on transport connect + TLS + CONNACK together.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>Shared with the supervisor so QoS 1 ids survive reconnects.</summary>
    public MqttPacketIdPool PacketIds { get; init; } = new();
    /// <summary>
    /// Called on the reader loop for each inbound PUBLISH. For QoS 1 the PUBACK is sent only after
    /// this completes, so awaiting here is back-pressure: the socket is not read meanwhile.
    /// </summary>
    public Func<PublishPacket, CancellationToken, ValueTask> OnPublish { get; init; } = static (_, _) => ValueTask.CompletedTask;
}
