namespace Gateway.Host.Health;

/// <summary>
/// What the running service publishes about itself in <see cref="ServiceStatusFile"/> for
/// <c>coap-gateway status</c>: figures only the service process knows (link, CoAP counters,
/// probes). Queue and device figures are read from the database by the CLI itself.
/// </summary>
public sealed record ServiceStatus
{
    public int Pid { get; init; }
    public string Version { get; init; } = "";
    /// <summary>"running" while the service runs, "stopped" after a clean stop.</summary>
    public string State { get; init; } = "running";
    public DateTimeOffset StartedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
    public int IntervalSeconds { get; init; }
    public string Link { get; init; } = "disabled";
    /// <summary>"host:port" of the configured broker (never credentials), or null.</summary>
    public string? Broker { get; init; }
    /// <summary>The ThingsBoard session limits in force (getSessionLimits) as one line; null when none were announced.</summary>
    public string? SessionLimits { get; init; }
    public string? CoapEndpoint { get; init; }
    public string? HttpEndpoint { get; init; }
    public bool Healthy { get; init; }
    public IReadOnlyList<ProbeOutcome> Probes { get; init; } = [];
    public IReadOnlyDictionary<string, long> Coap { get; init; } = new Dictionary<string, long>();
    /// <summary>The coaps endpoint ("[::]:5684"), or null when DTLS is off.</summary>
    public string? DtlsEndpoint { get; init; }
    /// <summary>DTLS sessions and handshakes (<see cref="Coap.DtlsFigures"/>); empty when DTLS is off.</summary>
    public IReadOnlyDictionary<string, long> Dtls { get; init; } = new Dictionary<string, long>();
    /// <summary>Rows the cloud acknowledged per second over the last minute (null until measured).</summary>
    public double? DrainRowsPerSecond { get; init; }
    /// <summary>How fast the backlog shrank per second over the last minute (negative: it grew).</summary>
    public double? NetDrainRowsPerSecond { get; init; }
    /// <summary>Estimated seconds until the backlog is empty; null when it does not shrink.</summary>
    public long? EmptyInSeconds { get; init; }
}
