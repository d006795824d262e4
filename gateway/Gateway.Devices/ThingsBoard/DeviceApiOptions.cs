namespace Gateway.Devices.ThingsBoard;

/// <summary>Settings of the ThingsBoard device API (configuration section <c>Devices</c>).</summary>
public sealed class DeviceApiOptions
{
    /// <summary>
    /// Bounded wait for the cloud's answer to an attribute request (ThingsBoard waits
    /// <c>transport.coap.timeout</c> = 10 s, then sends nothing; we answer from the cache instead). Default 5 s.
    /// </summary>
    public TimeSpan CloudRequestTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Bounded wait for the cloud's reply to a forwarded client-side RPC; then the device gets 5.04
    /// (HTTP 408) <c>{"error":"cloud timeout"}</c> where ThingsBoard would send nothing (thingsboard.md §2.4).
    /// Default 10 s, ThingsBoard's <c>transport.coap.timeout</c> (§2.1).
    /// </summary>
    public TimeSpan ClientRpcTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long a retransmitted write is recognised after a restart (CoAP EXCHANGE_LIFETIME, RFC 7252 §4.8.2). Default 247 s;
    /// the host sets the lifetime its <c>Coap</c> transmission parameters give.
    /// </summary>
    public TimeSpan DedupLifetime { get; set; } = TimeSpan.FromSeconds(247);

    /// <summary>4.01 answers per second per source address (token bucket rate; reliability.md §2.4). Default 10.</summary>
    public double AuthFailuresPerSecond { get; set; } = 10;

    /// <summary>Token bucket burst for 4.01 answers. Default 20.</summary>
    public int AuthFailureBurst { get; set; } = 20;

    /// <summary>Failures within <see cref="AuthFailureWindow"/> that silence a source for <see cref="AuthSilence"/>. Default 20 in 60 s → 5 min.</summary>
    public int AuthFailuresBeforeSilence { get; set; } = 20;

    public TimeSpan AuthFailureWindow { get; set; } = TimeSpan.FromSeconds(60);

    public TimeSpan AuthSilence { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Source addresses the limiter tracks at most (oldest forgotten first). Default 4096.</summary>
    public int AuthTrackedSources { get; set; } = 4096;

    /// <summary>
    /// How long a credential that authenticated from an address stays "known" there: while the address is limited
    /// (after <see cref="AuthFailuresBeforeSilence"/> failures) its known credentials are still served, so valid
    /// devices behind a NAT are not locked out by a guesser beside them. Default 24 h (covers devices reporting daily).
    /// </summary>
    public TimeSpan AuthKnownCredentialLifetime { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Known credentials remembered per address (least recently seen forgotten first). Default 256.</summary>
    public int AuthKnownCredentialsPerSource { get; set; } = 256;

    /// <summary>
    /// Lookups of credentials not known at a limited address, per minute: lets a device new to the address in while
    /// bounding the guessing rate of whoever got the address limited. Default 6 (one per 10 s); 0 = none.
    /// </summary>
    public double AuthLimitedLookupsPerMinute { get; set; } = 6;

    /// <summary>How often expired RPCs are swept and reported upstream as timeouts. Default 5 s.</summary>
    public TimeSpan RpcExpirySweep { get; set; } = TimeSpan.FromSeconds(5);
}
