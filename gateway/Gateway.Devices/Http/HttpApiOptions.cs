namespace Gateway.Devices.Http;

/// <summary>
/// Settings of the ThingsBoard HTTP device API (configuration section <c>Http:DeviceApi</c>). Defaults follow
/// ThingsBoard's <c>transport.http.*</c> (thingsboard.md §3) where an edge box can afford them.
/// </summary>
public sealed class HttpApiOptions
{
    public const string Section = "Http:DeviceApi";

    /// <summary>
    /// Largest body of telemetry, attributes, claim and provisioning requests (413 beyond). ThingsBoard allows
    /// 50 MiB on <c>/api/v1/**</c> (§3); a Pi-class box holding the body in memory and in SQLite takes 1 MiB by default.
    /// </summary>
    public int MaxPayloadBytes { get; set; } = 1 << 20;

    /// <summary>Largest body on <c>/api/v1/*/rpc/**</c> (RPC reply, client-side RPC): ThingsBoard's 65 536 B (§3).</summary>
    public int MaxRpcPayloadBytes { get; set; } = 65_536;

    /// <summary>Long-poll wait when <c>timeout</c> is absent or 0: ThingsBoard's <c>transport.http.request_timeout</c>, 60 s (§3).</summary>
    public TimeSpan DefaultPollTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Longest long poll a device may ask for; larger <c>timeout</c> values are cut to it (ThingsBoard: "typically &lt; 60 s").</summary>
    public TimeSpan MaxPollTimeout { get; set; } = TimeSpan.FromSeconds(120);

    /// <summary>Concurrent long polls (attribute updates + RPC) per device; one more answers 503 + Retry-After.</summary>
    public int MaxLongPollsPerDevice { get; set; } = 4;

    /// <summary>Concurrent long polls in total; one more answers 503 + Retry-After.</summary>
    public int MaxLongPolls { get; set; } = 1024;

    /// <summary>Retry-After sent when a long-poll cap is reached or a request timed out inside the gateway.</summary>
    public TimeSpan BusyRetryAfter { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Bound on reading the body and running one non-poll request: a body not received in time is 408, a
    /// service call not done in time is 503 + Retry-After (never 200: nothing was acknowledged). Default 30 s.
    /// </summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Slice in which an OTA range is read from the content store and written to the response. Default 64 KiB.</summary>
    public int OtaSliceBytes { get; set; } = 64 << 10;

    public IEnumerable<string> Validate()
    {
        if (MaxPayloadBytes <= 0) yield return $"{Section}:MaxPayloadBytes must be positive";
        if (MaxRpcPayloadBytes <= 0) yield return $"{Section}:MaxRpcPayloadBytes must be positive";
        if (DefaultPollTimeout <= TimeSpan.Zero || MaxPollTimeout < DefaultPollTimeout) yield return $"{Section}:DefaultPollTimeout must be positive and at most MaxPollTimeout";
        if (MaxLongPollsPerDevice <= 0 || MaxLongPolls <= 0) yield return $"{Section}:MaxLongPollsPerDevice and MaxLongPolls must be positive";
        if (RequestTimeout <= TimeSpan.Zero) yield return $"{Section}:RequestTimeout must be positive";
        if (OtaSliceBytes <= 0) yield return $"{Section}:OtaSliceBytes must be positive";
    }
}
