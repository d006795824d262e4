using Gateway.Storage.Outbox;
using Gateway.Mqtt.Protocol;

namespace Gateway.Bridge;

/// <summary>A snapshot of <see cref="BridgeStatus"/> for <c>/metrics</c> and <c>coap-gateway status</c>; counters are monotonic since start.</summary>
public sealed record BridgeStatistics
{
    public bool Connected { get; init; }
    public long Reconnects { get; init; }
    public long Publishes { get; init; }
    public long RowsForwarded { get; init; }
    public long DeadLetters { get; init; }
    /// <summary>Rows dead-lettered by this process, by cause.</summary>
    public IReadOnlyDictionary<DeadLetterCause, long> DeadLettersByCause { get; init; } = new Dictionary<DeadLetterCause, long>();
    public long InvalidRows { get; init; }
    public long RetryableFailures { get; init; }
    public IReadOnlyDictionary<MqttReasonCode, long> PubAckFailures { get; init; } = new Dictionary<MqttReasonCode, long>();
    public long Announcements { get; init; }
    public long DeviceDisconnects { get; init; }
    public long DownlinkAttributeUpdates { get; init; }
    public long DownlinkRpcs { get; init; }
    public long DownlinkUnknownDevice { get; init; }
    public long DownlinkMalformed { get; init; }
    public long CloudDisconnects { get; init; }
    public long AttributeRequests { get; init; }
    public long AttributeRequestsUnanswered { get; init; }
    /// <summary>Device client-side RPCs forwarded as the gateway's own (§4.1), and those that got no reply (link down, full, timeout).</summary>
    public long ClientRpcs { get; init; }
    public long ClientRpcsUnanswered { get; init; }
    /// <summary>Connect rows acknowledged without a PUBLISH: the device was already announced in the session.</summary>
    public long RedundantConnects { get; init; }
    /// <summary>Service RPCs to the gateway device answered (<c>gateway_ping</c>, …).</summary>
    public long ServiceRpcs { get; init; }
    /// <summary><c>getSessionLimits</c> questions asked, and the limits in force as one line (null: none announced).</summary>
    public long SessionLimitsAsked { get; init; }
    public string? SessionLimits { get; init; }
    /// <summary>Rows acknowledged per second over the last few seconds (the backlog drain rate).</summary>
    public double RowsPerSecond { get; init; }
    /// <summary>Bumped on every forwarder loop turn, also while idle or waiting: the watchdog's progress counter.</summary>
    public long Heartbeat { get; init; }
    public DateTimeOffset? LastHeartbeat { get; init; }
    public string? LastError { get; init; }
    /// <summary>When the current MQTT session came up (null while down).</summary>
    public DateTimeOffset? ConnectedSince { get; init; }
}
