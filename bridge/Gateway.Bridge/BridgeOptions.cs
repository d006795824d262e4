namespace Gateway.Bridge;

/// <summary>
/// Forwarder and downlink settings, bound from the <c>Bridge</c> configuration section (the MQTT
/// connection itself is <c>Mqtt:*</c>, <see cref="Gateway.Mqtt.Client.MqttClientOptions"/>).
/// Plain settable properties so configuration binding works; checked by <see cref="Validate"/>.
/// </summary>
public sealed class BridgeOptions
{
    public const string Section = "Bridge";

    /// <summary>Rows leased from the outbox per batch. Default 1000.</summary>
    public int BatchSize { get; set; } = 1000;

    /// <summary>
    /// PUBLISHes of one batch awaiting their PUBACK at once. Default 16: mosquitto is saturated at 16
    /// and one in flight costs ~38 % (performance.md §1.3, §3 point 4). The client's own window
    /// (min(Mqtt:MaxInflight, broker Receive Maximum)) still applies on the wire.
    /// </summary>
    public int MaxInFlight { get; set; } = 16;

    /// <summary>
    /// Largest MQTT packet the forwarder builds. Default 65536, ThingsBoard's NETTY_MAX_PAYLOAD_SIZE
    /// (thingsboard.md §4.1: larger closes the connection). A smaller broker Maximum Packet Size wins.
    /// </summary>
    public int MaxPacketBytes { get; set; } = 65536;

    /// <summary>Drain pacing: outbox rows forwarded per second at most; 0 = unpaced (default).</summary>
    public double DrainRowsPerSecond { get; set; }

    /// <summary>Drain pacing: PUBLISHes per second at most (ThingsBoard rate limits count messages); 0 = unpaced (default).</summary>
    public double DrainMessagesPerSecond { get; set; }

    /// <summary>
    /// How often <c>getSessionLimits</c> is asked again besides after every connect (thingsboard.md §4.1;
    /// a tenant profile can change while connected). Default 3600; 0 = only after a connect.
    /// </summary>
    public int SessionLimitsRefreshSeconds { get; set; } = 3600;

    /// <summary>
    /// Share of every announced session limit the gateway uses, in percent, leaving room for jitter
    /// between the two clocks. Default 95; 0 = do not ask for session limits and do not pace by them.
    /// </summary>
    public double SessionLimitsSharePercent { get; set; } = 95;

    /// <summary>
    /// Warnings and errors sent upstream per second at most when the gateway device's shared attribute
    /// <c>RemoteLoggingLevel</c> asks for them (the queue holds 256; more are dropped and counted). Default 2.
    /// </summary>
    public double RemoteLogsPerSecond { get; set; } = 2;

    /// <summary>
    /// A device whose last forwarded row is older than this is sent <c>v1/gateway/disconnect</c>
    /// (stops its downlinks, thingsboard.md §4.5) until it sends again. Default 86400 (a day); 0 = never.
    /// </summary>
    public int IdleDisconnectSeconds { get; set; } = 86400;

    /// <summary>How often idle and removed devices are looked for. Default 30.</summary>
    public int DeviceSweepSeconds { get; set; } = 30;

    /// <summary>TTL of a cloud RPC in the downlink queue (then reported upstream as a timeout). Default 60.</summary>
    public int RpcTtlSeconds { get; set; } = 60;

    /// <summary>Upper bound on waiting for a <c>v1/gateway/attributes/response</c> (the caller may cancel sooner). Default 10.</summary>
    public int AttributeRequestTimeoutSeconds { get; set; } = 10;

    /// <summary>Attribute requests waiting for their response at once; more are answered "no answer" at once (counted). Default 256.</summary>
    public int MaxPendingAttributeRequests { get; set; } = 256;

    /// <summary>
    /// Upper bound on waiting for the reply to a forwarded client-side RPC (the caller may cancel sooner).
    /// Default 10, ThingsBoard's own <c>transport.coap.timeout</c> for client-side RPC (thingsboard.md §2.1).
    /// </summary>
    public int ClientRpcTimeoutSeconds { get; set; } = 10;

    /// <summary>Forwarded client-side RPCs waiting for their reply at once; more are answered "no answer" at once (counted). Default 256.</summary>
    public int MaxPendingClientRpcs { get; set; } = 256;

    /// <summary>Lease of a batch in the outbox; only matters after a crash (the next run releases all leases). Default 120.</summary>
    public int LeaseSeconds { get; set; } = 120;

    /// <summary>Wait between outbox polls when it is empty (the outbox has no wake-up signal). Default 200.</summary>
    public int IdlePollMilliseconds { get; set; } = 200;

    /// <summary>Backoff after a retryable refusal (quota, server error), doubling up to <see cref="RetryMaxSeconds"/>. Default 1.</summary>
    public double RetryMinSeconds { get; set; } = 1;

    /// <summary>Default 60.</summary>
    public double RetryMaxSeconds { get; set; } = 60;

    /// <summary>
    /// A row leased this many times (it was released or in flight across a crash each time) is sent
    /// alone in its own PUBLISH, so a row that keeps failing cannot take a whole packed message with
    /// it again. Default 3.
    /// </summary>
    public int SuspectAfterAttempts { get; set; } = 3;

    /// <summary>
    /// A row sent alone that is in flight at this many consecutive connection losses, each within
    /// <see cref="PoisonRowWindowSeconds"/> of its send on a connection that had come up, is moved to the
    /// dead-letter table (cause <c>kills_connection</c>): the broker closes the connection on it (MQTT
    /// 3.1.1 has no PUBACK reason code). Default 3; 0 turns the detection off (the queue then stalls
    /// behind such a row).
    /// </summary>
    public int PoisonRowLosses { get; set; } = 3;

    /// <summary>How soon after a send a connection loss counts against the message (a broker refusing it closes at once). Default 5.</summary>
    public double PoisonRowWindowSeconds { get; set; } = 5;

    /// <summary>One line per problem, each naming its key: <c>Bridge:BatchSize: 0 is below 1</c>. Empty when valid.</summary>
    public IReadOnlyList<string> Validate(string section = Section)
    {
        var errors = new List<string>();
        void Error(string key, string message) => errors.Add($"{section}:{key}: {message}");
        if (BatchSize is < 1 or > 100_000) Error(nameof(BatchSize), $"{BatchSize} is not 1..100000");
        if (MaxInFlight is < 1 or > 65535) Error(nameof(MaxInFlight), $"{MaxInFlight} is not 1..65535");
        if (MaxPacketBytes is < 1024 or > 268_435_455) Error(nameof(MaxPacketBytes), $"{MaxPacketBytes} is not 1024..268435455");
        if (DrainRowsPerSecond < 0 || double.IsNaN(DrainRowsPerSecond)) Error(nameof(DrainRowsPerSecond), $"{DrainRowsPerSecond} is negative (0 = unpaced)");
        if (DrainMessagesPerSecond < 0 || double.IsNaN(DrainMessagesPerSecond)) Error(nameof(DrainMessagesPerSecond), $"{DrainMessagesPerSecond} is negative (0 = unpaced)");
        if (SessionLimitsRefreshSeconds < 0) Error(nameof(SessionLimitsRefreshSeconds), $"{SessionLimitsRefreshSeconds} is negative (0 = only after a connect)");
        if (SessionLimitsSharePercent is < 0 or > 100 || double.IsNaN(SessionLimitsSharePercent)) Error(nameof(SessionLimitsSharePercent), $"{SessionLimitsSharePercent} is not 0..100 (0 = ignore session limits)");
        if (RemoteLogsPerSecond is < 0.01 or > 1000 || double.IsNaN(RemoteLogsPerSecond)) Error(nameof(RemoteLogsPerSecond), $"{RemoteLogsPerSecond} is not 0.01..1000");
        if (IdleDisconnectSeconds < 0) Error(nameof(IdleDisconnectSeconds), $"{IdleDisconnectSeconds} is negative (0 = never)");
        if (DeviceSweepSeconds < 1) Error(nameof(DeviceSweepSeconds), $"{DeviceSweepSeconds} is below 1");
        if (RpcTtlSeconds < 1) Error(nameof(RpcTtlSeconds), $"{RpcTtlSeconds} is below 1");
        if (AttributeRequestTimeoutSeconds < 1) Error(nameof(AttributeRequestTimeoutSeconds), $"{AttributeRequestTimeoutSeconds} is below 1");
        if (MaxPendingAttributeRequests < 1) Error(nameof(MaxPendingAttributeRequests), $"{MaxPendingAttributeRequests} is below 1");
        if (ClientRpcTimeoutSeconds < 1) Error(nameof(ClientRpcTimeoutSeconds), $"{ClientRpcTimeoutSeconds} is below 1");
        if (MaxPendingClientRpcs < 1) Error(nameof(MaxPendingClientRpcs), $"{MaxPendingClientRpcs} is below 1");
        if (LeaseSeconds < 1) Error(nameof(LeaseSeconds), $"{LeaseSeconds} is below 1");
        if (IdlePollMilliseconds is < 1 or > 60_000) Error(nameof(IdlePollMilliseconds), $"{IdlePollMilliseconds} is not 1..60000");
        if (RetryMinSeconds <= 0) Error(nameof(RetryMinSeconds), $"{RetryMinSeconds} must be positive");
        if (RetryMaxSeconds < RetryMinSeconds) Error(nameof(RetryMaxSeconds), $"{RetryMaxSeconds} is below RetryMinSeconds ({RetryMinSeconds})");
        if (SuspectAfterAttempts < 1) Error(nameof(SuspectAfterAttempts), $"{SuspectAfterAttempts} is below 1");
        if (PoisonRowLosses < 0) Error(nameof(PoisonRowLosses), $"{PoisonRowLosses} is negative (0 = off)");
        if (PoisonRowWindowSeconds is <= 0 or > 3600 || double.IsNaN(PoisonRowWindowSeconds)) Error(nameof(PoisonRowWindowSeconds), $"{PoisonRowWindowSeconds} is not above 0 and at most 3600");
        return errors;
    }
}
