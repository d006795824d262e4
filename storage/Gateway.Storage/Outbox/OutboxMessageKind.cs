namespace Gateway.Storage.Outbox;

/// <summary>
/// What an outbox row carries upstream. The kind decides the row's fate under pressure
/// (see <see cref="IOutbox"/>): stored as its number, so never renumber.
/// </summary>
public enum OutboxMessageKind
{
    /// <summary>Time series; expires after MaxAge; oldest rows dropped first when space runs out.</summary>
    Telemetry = 1,

    /// <summary>Client-side attributes; compacted to the latest value per key, never expired.</summary>
    ClientAttributes = 2,

    /// <summary>A device's reply to a server-side RPC; kept until MaxAge.</summary>
    RpcReply = 3,

    /// <summary>A device claiming request; kept until MaxAge.</summary>
    Claim = 4,

    /// <summary>Device became active (ThingsBoard gateway "connect"); never dropped.</summary>
    DeviceConnect = 5,

    /// <summary>Device went away (gateway "disconnect"); never dropped.</summary>
    DeviceDisconnect = 6,

    /// <summary>A device asking the cloud for attribute values; kept until MaxAge.</summary>
    AttributeRequest = 7,

    /// <summary>The gateway's own time series (<c>v1/devices/me/telemetry</c>, not a sub-device); expires like telemetry (never dropped for space: a row a minute).</summary>
    GatewayTelemetry = 8,

    /// <summary>The gateway's own client attributes (<c>v1/devices/me/attributes</c>); never expired.</summary>
    GatewayAttributes = 9,
}

public static class OutboxMessageKinds
{
    /// <summary>
    /// Rows somebody is waiting on (the cloud for an RPC reply, a claim's short window, a device for
    /// attribute values): leased ahead of older telemetry. They carry no time series, so overtaking
    /// a device's telemetry reorders nothing that has an order.
    /// </summary>
    public static bool IsAwaited(this OutboxMessageKind kind) =>
        kind is OutboxMessageKind.RpcReply or OutboxMessageKind.Claim or OutboxMessageKind.AttributeRequest;
}
