namespace Gateway.Coap;

/// <summary>
/// Transmission parameters (RFC 7252 §4.8) and the endpoint's resource caps. Defaults are the
/// RFC's; the derived times follow §4.8.2.
/// </summary>
public sealed class CoapEndpointOptions
{
    public TimeSpan AckTimeout { get; set; } = TimeSpan.FromSeconds(2);
    public double AckRandomFactor { get; set; } = 1.5;
    public int MaxRetransmit { get; set; } = 4;
    public TimeSpan MaxLatency { get; set; } = TimeSpan.FromSeconds(100);
    public TimeSpan ProcessingDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How long a handler may take before the request is acknowledged with an empty ACK and the
    /// response follows as a separate CON (§5.2.2). Well under ACK_TIMEOUT so the client does not
    /// retransmit needlessly, well over a group commit so writes usually piggyback.
    /// </summary>
    public TimeSpan SeparateResponseDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Deduplication entries kept (oldest evicted first, counted).</summary>
    public int DeduplicationCapacity { get; set; } = 16384;

    /// <summary>Cached responses up to this size live in a preallocated slab; larger ones are copied.</summary>
    public int DeduplicationInlineBytes { get; set; } = 256;

    /// <summary>Largest datagram received or sent (the receive buffer size).</summary>
    public int MaxMessageSize { get; set; } = 1280 + 128;

    /// <summary>Receive threads sharing the socket; 0 means one per processor.</summary>
    public int ReceiveThreads { get; set; }

    /// <summary>Client requests in flight at once before new ones wait (§4.7 NSTART, per endpoint here).</summary>
    public int MaxOutstandingRequests { get; set; } = 1024;

    // §4.8.2 derived times.
    public TimeSpan MaxTransmitSpan => AckTimeout * ((1 << MaxRetransmit) - 1) * AckRandomFactor;
    public TimeSpan MaxTransmitWait => AckTimeout * ((1 << (MaxRetransmit + 1)) - 1) * AckRandomFactor;
    public TimeSpan ExchangeLifetime => MaxTransmitSpan + 2 * MaxLatency + ProcessingDelay;
    public TimeSpan NonLifetime => MaxTransmitSpan + MaxLatency;

    /// <summary>One-line problems, each naming the setting; empty when valid.</summary>
    public IEnumerable<string> Validate()
    {
        if (AckTimeout <= TimeSpan.Zero) yield return $"AckTimeout: {AckTimeout} must be positive";
        if (AckRandomFactor < 1) yield return $"AckRandomFactor: {AckRandomFactor} must be at least 1 (RFC 7252 §4.8)";
        if (MaxRetransmit is < 0 or > 20) yield return $"MaxRetransmit: {MaxRetransmit} must be 0..20";
        if (SeparateResponseDelay < TimeSpan.Zero) yield return $"SeparateResponseDelay: {SeparateResponseDelay} must not be negative";
        if (DeduplicationCapacity < 16) yield return $"DeduplicationCapacity: {DeduplicationCapacity} must be at least 16";
        if (DeduplicationInlineBytes is < 16 or > 2048) yield return $"DeduplicationInlineBytes: {DeduplicationInlineBytes} must be 16..2048";
        if (MaxMessageSize is < 64 or > 65507) yield return $"MaxMessageSize: {MaxMessageSize} must be 64..65507";
        if (ReceiveThreads is < 0 or > 64) yield return $"ReceiveThreads: {ReceiveThreads} must be 0..64";
    }
}
