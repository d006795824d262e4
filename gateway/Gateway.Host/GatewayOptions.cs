namespace Gateway.Host;

/// <summary>The <c>Gateway</c> configuration section: the gateway's own identity and reporting intervals.</summary>
public sealed class GatewayOptions
{
    public const string Section = "Gateway";

    /// <summary>Device name under which the gateway reports its own health upstream; the host name if empty.</summary>
    public string Name { get; set; } = "";

    /// <summary>Seconds between health telemetry rows written to the outbox; 0 = off.</summary>
    public int HealthIntervalSeconds { get; set; } = 60;

    /// <summary>Seconds between systemd STATUS= updates and rewrites of the status file that <c>coap-gateway status</c> reads.</summary>
    public int StatusIntervalSeconds { get; set; } = 10;

    /// <summary>Seconds between the log's summaries of refused device requests (one line per reason).</summary>
    public int RefusalLogIntervalSeconds { get; set; } = 60;

    public string EffectiveName => string.IsNullOrWhiteSpace(Name) ? Environment.MachineName : Name;

    public IEnumerable<string> Validate()
    {
        if (Name.Length > 255) yield return $"{Section}:Name: longer than 255 characters";
        if (HealthIntervalSeconds < 0) yield return $"{Section}:HealthIntervalSeconds: {HealthIntervalSeconds} is negative (0 turns health telemetry off)";
        if (StatusIntervalSeconds is < 1 or > 3600) yield return $"{Section}:StatusIntervalSeconds: {StatusIntervalSeconds} is not between 1 and 3600";
        if (RefusalLogIntervalSeconds is < 1 or > 3600) yield return $"{Section}:RefusalLogIntervalSeconds: {RefusalLogIntervalSeconds} is not between 1 and 3600";
    }
}
