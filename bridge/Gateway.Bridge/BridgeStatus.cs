using System.Collections.Concurrent;
using Gateway.Mqtt.Protocol;
using Gateway.Storage.Outbox;

namespace Gateway.Bridge;

/// <summary>
/// Live counters of the bridge, written by its loops and read by the host (metrics, status, the
/// watchdog's <c>ProgressProbe</c> over <see cref="Heartbeat"/>). One instance per process (DI singleton).
/// </summary>
public sealed class BridgeStatus(TimeProvider time)
{
    private readonly ConcurrentDictionary<MqttReasonCode, long> _pubAckFailures = new();
    private readonly ConcurrentDictionary<DeadLetterCause, long> _deadLettersByCause = new();
    private readonly Lock _rateGate = new();
    private long _heartbeat, _heartbeatAtMs = -1, _connectedSinceMs = -1;
    private long _publishes, _rows, _deadLetters, _invalid, _retryable, _reconnects, _announcements, _deviceDisconnects;
    private long _attributeUpdates, _rpcs, _unknownDevice, _malformed, _cloudDisconnects, _attributeRequests, _unanswered, _clientRpcs, _clientRpcsUnanswered;
    private long _redundantConnects, _serviceRpcs, _sessionLimitsAsked;
    private volatile string? _sessionLimits;
    private volatile bool _connected;
    private volatile string? _lastError;
    private long _rateSampleTimestamp = time.GetTimestamp(), _rateSampleRows;
    private double _rowsPerSecond;

    public BridgeStatus() : this(TimeProvider.System) { }

    /// <summary>The forwarder's progress counter (never stalls for more than about a second while the loop is healthy).</summary>
    public long Heartbeat => Interlocked.Read(ref _heartbeat);

    public bool Connected => _connected;

    public BridgeStatistics Snapshot()
    {
        var heartbeatAt = Interlocked.Read(ref _heartbeatAtMs);
        return new BridgeStatistics
        {
            Connected = _connected,
            Reconnects = Interlocked.Read(ref _reconnects),
            Publishes = Interlocked.Read(ref _publishes),
            RowsForwarded = Interlocked.Read(ref _rows),
            DeadLetters = Interlocked.Read(ref _deadLetters),
            DeadLettersByCause = new Dictionary<DeadLetterCause, long>(_deadLettersByCause),
            InvalidRows = Interlocked.Read(ref _invalid),
            RetryableFailures = Interlocked.Read(ref _retryable),
            PubAckFailures = new Dictionary<MqttReasonCode, long>(_pubAckFailures),
            Announcements = Interlocked.Read(ref _announcements),
            DeviceDisconnects = Interlocked.Read(ref _deviceDisconnects),
            DownlinkAttributeUpdates = Interlocked.Read(ref _attributeUpdates),
            DownlinkRpcs = Interlocked.Read(ref _rpcs),
            DownlinkUnknownDevice = Interlocked.Read(ref _unknownDevice),
            DownlinkMalformed = Interlocked.Read(ref _malformed),
            CloudDisconnects = Interlocked.Read(ref _cloudDisconnects),
            AttributeRequests = Interlocked.Read(ref _attributeRequests),
            AttributeRequestsUnanswered = Interlocked.Read(ref _unanswered),
            ClientRpcs = Interlocked.Read(ref _clientRpcs),
            ClientRpcsUnanswered = Interlocked.Read(ref _clientRpcsUnanswered),
            RedundantConnects = Interlocked.Read(ref _redundantConnects),
            ServiceRpcs = Interlocked.Read(ref _serviceRpcs),
            SessionLimitsAsked = Interlocked.Read(ref _sessionLimitsAsked),
            SessionLimits = _sessionLimits,
            RowsPerSecond = RowsPerSecond,
            Heartbeat = Heartbeat,
            LastHeartbeat = heartbeatAt < 0 ? null : DateTimeOffset.FromUnixTimeMilliseconds(heartbeatAt),
            LastError = _lastError,
            ConnectedSince = Interlocked.Read(ref _connectedSinceMs) is var since and >= 0 ? DateTimeOffset.FromUnixTimeMilliseconds(since) : null,
        };
    }

    /// <summary>Rows acknowledged per second, over a window of at least two seconds.</summary>
    public double RowsPerSecond
    {
        get
        {
            lock (_rateGate)
            {
                var elapsed = time.GetElapsedTime(_rateSampleTimestamp);
                if (elapsed >= TimeSpan.FromSeconds(2))
                {
                    var rows = Interlocked.Read(ref _rows);
                    _rowsPerSecond = (rows - _rateSampleRows) / elapsed.TotalSeconds;
                    _rateSampleRows = rows;
                    _rateSampleTimestamp = time.GetTimestamp();
                }
                return _rowsPerSecond;
            }
        }
    }

    internal void Beat()
    {
        Interlocked.Increment(ref _heartbeat);
        Interlocked.Exchange(ref _heartbeatAtMs, time.GetUtcNow().ToUnixTimeMilliseconds());
    }

    internal void SetConnected(bool connected, bool reconnect)
    {
        if (connected && !_connected) Interlocked.Exchange(ref _connectedSinceMs, time.GetUtcNow().ToUnixTimeMilliseconds());
        else if (!connected) Interlocked.Exchange(ref _connectedSinceMs, -1);
        _connected = connected;
        if (reconnect) Interlocked.Increment(ref _reconnects);
    }

    internal void Published() => Interlocked.Increment(ref _publishes);
    internal void Forwarded(int rows) => Interlocked.Add(ref _rows, rows);
    internal void DeadLettered(DeadLetterCause cause, int rows)
    {
        Interlocked.Add(ref _deadLetters, rows);
        _deadLettersByCause.AddOrUpdate(cause, rows, (_, n) => n + rows);
    }
    internal void Invalid(int rows) => Interlocked.Add(ref _invalid, rows);
    internal void Retryable() => Interlocked.Increment(ref _retryable);
    internal void PubAckFailed(MqttReasonCode code) => _pubAckFailures.AddOrUpdate(code, 1, static (_, n) => n + 1);
    internal void Announced(int devices) => Interlocked.Add(ref _announcements, devices);
    internal void DeviceDisconnected() => Interlocked.Increment(ref _deviceDisconnects);
    internal void AttributeUpdate() => Interlocked.Increment(ref _attributeUpdates);
    internal void Rpc() => Interlocked.Increment(ref _rpcs);
    internal void UnknownDevice() => Interlocked.Increment(ref _unknownDevice);
    internal void Malformed() => Interlocked.Increment(ref _malformed);
    internal void CloudDisconnect() => Interlocked.Increment(ref _cloudDisconnects);
    internal void AttributeRequest() => Interlocked.Increment(ref _attributeRequests);
    internal void AttributeRequestUnanswered() => Interlocked.Increment(ref _unanswered);
    internal void ClientRpc() => Interlocked.Increment(ref _clientRpcs);
    internal void ClientRpcUnanswered() => Interlocked.Increment(ref _clientRpcsUnanswered);
    internal void RedundantConnects(int rows) => Interlocked.Add(ref _redundantConnects, rows);
    internal void ServiceRpc() => Interlocked.Increment(ref _serviceRpcs);
    internal void Error(string message) => _lastError = message;
    internal void SessionLimitsAsked() => Interlocked.Increment(ref _sessionLimitsAsked);
    internal void SessionLimitsApplied(string limits) => _sessionLimits = limits;

    /// <summary>The session limits ThingsBoard announced, as one line; null while none were announced.</summary>
    public string? SessionLimits => _sessionLimits;
}
