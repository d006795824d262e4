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

    /// <summary>
    /// NSTART (§4.7): Confirmable messages this endpoint has outstanding to one peer at once (separate responses,
    /// CON notifications, client requests until their ACK). More wait, in order, until one is acknowledged or given up.
    /// </summary>
    public int Nstart { get; set; } = 1;

    /// <summary>
    /// PROBING_RATE (§4.7), bytes per second: the average rate of Non-confirmable notifications to an observer that
    /// has not been heard from (no registration, no ACK) since. Beyond it the next notification goes Confirmable,
    /// which asks the observer to answer (RFC 7641 §4.5) and is paced by the back-off of §4.2 instead.
    /// </summary>
    public double ProbingRate { get; set; } = 1;

    /// <summary>DEFAULT_LEISURE (§8.2): the window in which an answer to a multicast request is sent at a random time.</summary>
    public TimeSpan DefaultLeisure { get; set; } = TimeSpan.FromSeconds(5);

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

    /// <summary>
    /// An error response is at most this many times its request (RFC 7252 §11.3; reliability.md G8):
    /// a diagnostic that does not fit is left out whole (never cut). 0 turns the limit off.
    /// </summary>
    public int MaxErrorAmplification { get; set; } = 3;

    /// <summary>Receive threads sharing the socket; 0 means one per processor.</summary>
    public int ReceiveThreads { get; set; }

    /// <summary>Client requests in flight at once before new ones wait (§4.7 NSTART, per endpoint here).</summary>
    public int MaxOutstandingRequests { get; set; } = 1024;

    /// <summary>Preferred Block1/Block2 size in bytes, 16..1024, a power of two (RFC 7959 §2.2); a client asking for less gets less.</summary>
    public int PreferredBlockSize { get; set; } = 512;

    /// <summary>Largest request body reassembled from Block1 blocks; more is answered 4.13 with Size1 (RFC 7959 §2.9.3).</summary>
    public int MaxBodySize { get; set; } = 64 * 1024;

    /// <summary>Block1 bodies in reassembly per peer and in total (reliability S5); the least recently active is evicted.</summary>
    public int MaxBlock1TransfersPerPeer { get; set; } = 4;

    public int MaxBlock1Transfers { get; set; } = 256;

    /// <summary>A Block1 transfer with no block for this long is dropped (counted); its next block then gets 4.08.</summary>
    public TimeSpan BlockTransferIdleTimeout { get; set; } = TimeSpan.FromSeconds(120);

    /// <summary>Whole Block2 bodies kept for transfers in progress (each kept EXCHANGE_LIFETIME after its last block).</summary>
    public int Block2CacheCapacity { get; set; } = 256;

    public long Block2CacheMaxBytes { get; set; } = 8L * 1024 * 1024;

    /// <summary>Observe relations per peer and in total (RFC 7641 §7); the least recently active is evicted and counted.</summary>
    public int MaxObserversPerPeer { get; set; } = 16;

    public int MaxObservers { get; set; } = 10_000;

    /// <summary>RFC 7641 §4.5: a notification is sent Confirmable at least this often, to learn whether the observer is still there.</summary>
    public TimeSpan ObserveConfirmableInterval { get; set; } = TimeSpan.FromHours(24);

    /// <summary>...and at least every this many notifications (reliability R17: 100).</summary>
    public int ObserveConfirmableEvery { get; set; } = 100;

    // §4.8.2 derived times. PROCESSING_DELAY is ACK_TIMEOUT ("a conservative assumption", §4.8.2).
    public TimeSpan ProcessingDelay => AckTimeout;
    public TimeSpan MaxTransmitSpan => AckTimeout * ((1 << MaxRetransmit) - 1) * AckRandomFactor;
    public TimeSpan MaxTransmitWait => AckTimeout * ((1 << (MaxRetransmit + 1)) - 1) * AckRandomFactor;
    public TimeSpan ExchangeLifetime => MaxTransmitSpan + 2 * MaxLatency + ProcessingDelay;
    public TimeSpan NonLifetime => MaxTransmitSpan + MaxLatency;

    private const int MaxDeduplicationCapacity = 1 << 22;
    private const long MaxDeduplicationSlabBytes = 1L << 30;

    /// <summary>One-line problems, each naming the setting; empty when valid.</summary>
    public IEnumerable<string> Validate()
    {
        if (AckTimeout <= TimeSpan.Zero) yield return $"AckTimeout: {AckTimeout} must be positive";
        if (AckRandomFactor < 1) yield return $"AckRandomFactor: {AckRandomFactor} must be at least 1 (RFC 7252 §4.8)";
        if (MaxRetransmit is < 0 or > 20) yield return $"MaxRetransmit: {MaxRetransmit} must be 0..20";
        if (Nstart is < 1 or > 64) yield return $"Nstart: {Nstart} must be 1..64 (RFC 7252 §4.7)";
        if (!(ProbingRate > 0)) yield return $"ProbingRate: {ProbingRate} must be more than 0 bytes/s (RFC 7252 §4.7)";
        if (DefaultLeisure < TimeSpan.Zero) yield return $"DefaultLeisure: {DefaultLeisure} must not be negative (RFC 7252 §8.2)";
        if (MaxLatency < TimeSpan.Zero) yield return $"MaxLatency: {MaxLatency} must not be negative";
        if (MaxErrorAmplification is < 0 or > 100) yield return $"MaxErrorAmplification: {MaxErrorAmplification} must be 0..100";
        if (SeparateResponseDelay < TimeSpan.Zero) yield return $"SeparateResponseDelay: {SeparateResponseDelay} must not be negative";
        bool capacityValid = DeduplicationCapacity is >= 16 and <= MaxDeduplicationCapacity, inlineValid = DeduplicationInlineBytes is >= 16 and <= 2048;
        if (!capacityValid) yield return $"DeduplicationCapacity: {DeduplicationCapacity} must be 16..{MaxDeduplicationCapacity}";
        if (!inlineValid) yield return $"DeduplicationInlineBytes: {DeduplicationInlineBytes} must be 16..2048";
        // The cached responses are one preallocated slab.
        if (capacityValid && inlineValid && (long)DeduplicationCapacity * DeduplicationInlineBytes > MaxDeduplicationSlabBytes)
            yield return $"DeduplicationCapacity × DeduplicationInlineBytes: {DeduplicationCapacity} × {DeduplicationInlineBytes} bytes of cached responses is more than 1 GiB";
        if (MaxMessageSize is < 64 or > 65507) yield return $"MaxMessageSize: {MaxMessageSize} must be 64..65507";
        if (PreferredBlockSize is < 16 or > 1024 || (PreferredBlockSize & (PreferredBlockSize - 1)) != 0)
            yield return $"PreferredBlockSize: {PreferredBlockSize} must be a power of two in 16..1024 (RFC 7959 §2.2)";
        if (PreferredBlockSize + 128 > MaxMessageSize) yield return $"PreferredBlockSize: {PreferredBlockSize} does not fit MaxMessageSize {MaxMessageSize} with headers";
        if (MaxBodySize < 16) yield return $"MaxBodySize: {MaxBodySize} must be at least 16";
        if (MaxBlock1TransfersPerPeer < 1) yield return $"MaxBlock1TransfersPerPeer: {MaxBlock1TransfersPerPeer} must be at least 1";
        if (MaxBlock1Transfers < 1) yield return $"MaxBlock1Transfers: {MaxBlock1Transfers} must be at least 1";
        if (BlockTransferIdleTimeout <= TimeSpan.Zero) yield return $"BlockTransferIdleTimeout: {BlockTransferIdleTimeout} must be positive";
        if (Block2CacheCapacity < 1) yield return $"Block2CacheCapacity: {Block2CacheCapacity} must be at least 1";
        if (Block2CacheMaxBytes < 1024) yield return $"Block2CacheMaxBytes: {Block2CacheMaxBytes} must be at least 1024";
        if (MaxObserversPerPeer < 1) yield return $"MaxObserversPerPeer: {MaxObserversPerPeer} must be at least 1";
        if (MaxObservers < 1) yield return $"MaxObservers: {MaxObservers} must be at least 1";
        if (ObserveConfirmableInterval <= TimeSpan.Zero) yield return $"ObserveConfirmableInterval: {ObserveConfirmableInterval} must be positive";
        if (ObserveConfirmableEvery < 1) yield return $"ObserveConfirmableEvery: {ObserveConfirmableEvery} must be at least 1";
        if (ReceiveThreads is < 0 or > 64) yield return $"ReceiveThreads: {ReceiveThreads} must be 0..64";
    }
}
