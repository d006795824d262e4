using System.Threading.Channels;
using Gateway.Mqtt.Connection;
using Gateway.Mqtt.Packets;
using Gateway.Mqtt.Protocol;
using Gateway.Mqtt.Transport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Mqtt.Client;

/// <summary>
/// The supervisor: keeps one <see cref="MqttConnection"/> alive forever (exponential backoff with
/// jitter between attempts), re-subscribes after every connect, and owns the QoS 1 in-flight
/// window, which outlives connections: a publish is complete only when its PUBACK arrives, and
/// unacknowledged ones are resent in their original order, with DUP, on the next connection.
/// </summary>
/// <remarks>
/// Inbound policy (<see cref="Messages"/>, bounded by <see cref="MqttClientOptions.InboundCapacity"/>):
/// QoS 1 messages are back-pressured: the reader waits for room and PUBACKs only once the message
/// is queued, so nothing acknowledged is lost and the broker keeps the rest. QoS 0 messages
/// (at most once by definition) are dropped when the queue is full, counted and logged.
/// </remarks>
public sealed class MqttClient : IAsyncDisposable
{
    private readonly MqttClientOptions _options;
    private readonly IMqttTransport _transport;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Random _random;
    private readonly MqttPacketIdPool _packetIds = new();
    private readonly Channel<MqttMessage> _inbound;
    private readonly CancellationTokenSource _stop = new();
    private readonly object _gate = new();

    // Guarded by _gate: the publish window, the subscriptions and the live connection.
    private readonly PublishWindow _publishes;
    private readonly List<MqttSubscription> _subscriptions = [];
    private MqttConnection? _connection;
    private TaskCompletionSource _connected = NewSignal();

    private Task _supervisor = Task.CompletedTask;
    private volatile MqttConnectionState _state = MqttConnectionState.Disconnected;
    private int _connectCount;
    private long _connectFailures, _received, _dropped;

    public MqttClient(MqttClientOptions options, ILogger<MqttClient>? logger = null, TimeProvider? timeProvider = null,
        IMqttTransport? transport = null, Random? random = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate();
        if (errors.Count > 0) throw new ArgumentException(string.Join(Environment.NewLine, errors), nameof(options));
        _options = options;
        _transport = transport ?? new TcpMqttTransport(options.Host, options.Port, options.Tls);
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _random = random ?? Random.Shared;
        _publishes = new PublishWindow(options.MaxInflight, _packetIds, _gate, _logger);
        _inbound = Channel.CreateBounded<MqttMessage>(new BoundedChannelOptions(options.InboundCapacity)
        {
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    /// <summary>Inbound messages from all subscriptions (see the class remarks for the full-queue policy).</summary>
    public ChannelReader<MqttMessage> Messages => _inbound.Reader;

    public MqttConnectionState State => _state;

    /// <summary>Raised on every state change, never under a lock; handler exceptions are logged and swallowed.</summary>
    public event EventHandler<MqttConnectionStateChangedEventArgs>? ConnectionStateChanged;

    /// <summary>The broker's Maximum Packet Size from the last CONNACK (0 = no limit announced); size batches below it.</summary>
    public int MaximumPacketSize { get { lock (_gate) return _publishes.MaximumPacketSize; } }

    /// <summary>The effective in-flight window: min(MaxInflight, broker Receive Maximum).</summary>
    public int InflightWindow { get { lock (_gate) return _publishes.Size; } }

    public MqttProtocolVersion ProtocolVersion => _options.Version;

    public MqttClientCounters GetCounters() => new(
        Volatile.Read(ref _connectCount), Math.Max(0, Volatile.Read(ref _connectCount) - 1), Interlocked.Read(ref _connectFailures),
        _publishes.Sent, _publishes.Resent, _publishes.Acknowledged,
        _publishes.Failures, Interlocked.Read(ref _received), Interlocked.Read(ref _dropped));

    /// <summary>Starts the supervisor; returns at once. Publishes made before the first connect are queued.</summary>
    public void Start()
    {
        if (_supervisor != Task.CompletedTask) throw new InvalidOperationException("already started");
        _supervisor = Task.Run(() => SuperviseAsync(_stop.Token));
    }

    /// <summary>Completes when the client is connected (now or later).</summary>
    public Task WaitUntilConnectedAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate) return _connected.Task.WaitAsync(cancellationToken);
    }

    /// <summary>
    /// Publishes one message. QoS 1: queued in call order, sent as the in-flight window allows
    /// (min(MaxInflight, Receive Maximum) unacknowledged on the wire), completes when the PUBACK
    /// arrives — across reconnects if needed — with its reason code (a v5 refusal is a result, not an
    /// exception). The queue itself is not bounded: callers bound it by how many publishes they
    /// await at once (the forwarder's batch). QoS 0: completes once queued for the socket.
    /// Cancelling withdraws a message not yet sent; one already on the wire stays in flight.
    /// </summary>
    public async ValueTask<MqttPublishResult> PublishAsync(MqttMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (LocalRejection(message) is { } rejected) return rejected;
        if (message.QoS == MqttQualityOfService.AtMostOnce) return PublishAtMostOnce(message);

        LinkedListNode<PendingPublish> node;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_state == MqttConnectionState.Stopped, this);
            node = _publishes.Enqueue(message.ToPacket(0));
        }
        using var registration = cancellationToken.CanBeCanceled
            ? cancellationToken.Register(static s => { var (window, node) = ((PublishWindow, LinkedListNode<PendingPublish>))s!; window.WithdrawUnsent(node); }, (_publishes, node))
            : default;
        return await node.Value.Result.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Adds subscriptions (kept for every future connect). Connected: returns the SUBACK codes.
    /// Disconnected, or the connection drops meanwhile: returns <see cref="MqttSubscribeResult.Deferred"/>.
    /// </summary>
    public async Task<MqttSubscribeResult> SubscribeAsync(IReadOnlyList<MqttSubscription> subscriptions, CancellationToken cancellationToken = default)
    {
        if (subscriptions.Count == 0) throw new ArgumentException("at least one subscription", nameof(subscriptions));
        if (subscriptions.Any(s => s.QoS == MqttQualityOfService.ExactlyOnce))
            throw new ArgumentException("QoS 2 subscriptions are not supported by this client", nameof(subscriptions));
        MqttConnection? connection;
        lock (_gate)
        {
            foreach (var s in subscriptions)
            {
                _subscriptions.RemoveAll(x => x.TopicFilter == s.TopicFilter);
                _subscriptions.Add(s);
            }
            connection = _connection;
        }
        if (connection is null) return new MqttSubscribeResult([], Deferred: true);
        try
        {
            var ack = await connection.SubscribeAsync(subscriptions, cancellationToken).ConfigureAwait(false);
            LogRefusals(subscriptions, ack);
            return new MqttSubscribeResult(ack.ReasonCodes, Deferred: false);
        }
        catch (MqttConnectionException)
        {
            return new MqttSubscribeResult([], Deferred: true);
        }
    }

    /// <summary>Forgets the filters and, when connected, unsubscribes (best effort).</summary>
    public async Task UnsubscribeAsync(IReadOnlyList<string> topicFilters, CancellationToken cancellationToken = default)
    {
        MqttConnection? connection;
        lock (_gate)
        {
            _subscriptions.RemoveAll(s => topicFilters.Contains(s.TopicFilter));
            connection = _connection;
        }
        if (connection is null) return;
        try { await connection.UnsubscribeAsync(topicFilters, cancellationToken).ConfigureAwait(false); }
        catch (MqttConnectionException) { /* not subscribed on the next connection anyway */ }
    }

    /// <summary>
    /// Stops reconnecting, sends DISCONNECT (normal), fails every waiting publish with
    /// <see cref="ObjectDisposedException"/> (unacknowledged data is the caller's: the outbox keeps it)
    /// and completes <see cref="Messages"/>.
    /// </summary>
    public async Task StopAsync()
    {
        lock (_gate)
        {
            if (_state == MqttConnectionState.Stopped) return;
        }
        _stop.Cancel();
        try { await _supervisor.ConfigureAwait(false); } catch (OperationCanceledException) { }
        MqttConnection? connection;
        List<PendingPublish> abandoned;
        lock (_gate)
        {
            connection = _connection;
            _connection = null;
            abandoned = _publishes.Abandon();
            _state = MqttConnectionState.Stopped;
        }
        if (connection is not null) await connection.DisconnectAsync().ConfigureAwait(false);
        foreach (var p in abandoned) p.Result.TrySetException(new ObjectDisposedException(nameof(MqttClient), "the MQTT client was stopped before the PUBACK arrived"));
        _inbound.Writer.TryComplete();
        MqttClientLog.Stopped(_logger);
        RaiseStateChanged(new MqttConnectionStateChangedEventArgs(MqttConnectionState.Stopped, Volatile.Read(ref _connectCount), false, null));
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task SuperviseAsync(CancellationToken stop)
    {
        int attempt = 0;
        while (!stop.IsCancellationRequested)
        {
            MqttConnectionException? failure = null;
            try
            {
                SetState(MqttConnectionState.Connecting, null);
                MqttClientLog.Connecting(_logger, $"{_options.Host}:{_options.Port}", _options.ClientId, _options.ProtocolVersion);
                var connection = await MqttConnection.ConnectAsync(_transport, BuildConnect(), new MqttConnectionSettings
                {
                    TimeProvider = _time,
                    Logger = _logger,
                    ConnectTimeout = TimeSpan.FromSeconds(_options.ConnectTimeoutSeconds),
                    PacketIds = _packetIds,
                    OnPublish = DeliverAsync,
                }, stop).ConfigureAwait(false);
                long connectedAt = _time.GetTimestamp();
                await OnConnectedAsync(connection, stop).ConfigureAwait(false);
                failure = await connection.Completion.WaitAsync(stop).ConfigureAwait(false);
                OnDisconnected(connection, failure);
                if (_time.GetElapsedTime(connectedAt) >= TimeSpan.FromSeconds(_options.ReconnectResetAfterSeconds)) attempt = 0;
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (MqttConnectionException e)
            {
                failure = e;
                Interlocked.Increment(ref _connectFailures);
            }
            catch (Exception e)
            {
                // Never die silently (thingsboard.md §5.5, #2086): log, count, and keep trying.
                Interlocked.Increment(ref _connectFailures);
                failure = new MqttConnectionException(MqttDisconnectReason.TransportError, e.Message, innerException: e);
                MqttClientLog.SupervisorError(_logger, e, NextDelay(attempt));
            }

            var delay = NextDelay(attempt++);
            if (failure is { } f && _state != MqttConnectionState.Connected)
                MqttClientLog.ConnectFailed(_logger, f.Reason, f.Message, delay);
            SetState(MqttConnectionState.Disconnected, failure);
            try { await Task.Delay(delay, _time, stop).ConfigureAwait(false); }
            catch (OperationCanceledException) { return; }
        }
    }

    private async Task OnConnectedAsync(MqttConnection connection, CancellationToken stop)
    {
        // Subscriptions first, then the resend, so downlinks are in place before anything else happens.
        MqttSubscription[] subscriptions;
        lock (_gate) subscriptions = [.. _subscriptions];
        if (subscriptions.Length > 0)
        {
            try
            {
                var ack = await connection.SubscribeAsync(subscriptions, stop).ConfigureAwait(false);
                LogRefusals(subscriptions, ack);
                MqttClientLog.Resubscribed(_logger, subscriptions.Length);
            }
            catch (MqttConnectionException) { /* the connection died; Completion tells the supervisor */ }
        }
        int count = Interlocked.Increment(ref _connectCount);
        int pending;
        lock (_gate)
        {
            _connection = connection;
            _publishes.Attach(connection, Math.Max(1, Math.Min(_options.MaxInflight, (int)connection.ReceiveMaximum)), connection.MaximumPacketSize);
            pending = _publishes.Count;
            _connected.TrySetResult();
        }
        MqttClientLog.Connected(_logger, connection.SessionPresent, connection.ReceiveMaximum, connection.MaximumPacketSize, connection.KeepAlive, pending);
        _state = MqttConnectionState.Connected;
        RaiseStateChanged(new MqttConnectionStateChangedEventArgs(MqttConnectionState.Connected, count, connection.SessionPresent, null));
    }

    private void OnDisconnected(MqttConnection connection, MqttConnectionException reason)
    {
        int pending;
        lock (_gate)
        {
            if (_connection == connection) _connection = null;
            _publishes.Detach();
            pending = _publishes.Count;
            if (_connected.Task.IsCompleted) _connected = NewSignal();
        }
        MqttClientLog.ConnectionLost(_logger, reason.Reason, reason.Message, pending);
    }

    private MqttPublishResult PublishAtMostOnce(MqttMessage message)
    {
        MqttConnection? connection;
        lock (_gate) connection = _connection;
        if (connection is null || !connection.PublishAtMostOnce(message.ToPacket(0)))
            return MqttPublishResult.Local(MqttReasonCode.UnspecifiedError, "not connected; QoS 0 messages are not queued");
        _publishes.CountAtMostOnce();
        return MqttPublishResult.Success;
    }

    private MqttPublishResult? LocalRejection(MqttMessage message)
    {
        // MQTT 5.0 §3.3.2.1 / §4.7: a topic name is non-empty, wildcard-free and without U+0000.
        if (message.Topic.Length == 0 || message.Topic.AsSpan().IndexOfAny("+#\0") >= 0 || System.Text.Encoding.UTF8.GetByteCount(message.Topic) > ushort.MaxValue)
            return MqttPublishResult.Local(MqttReasonCode.TopicNameInvalid, $"'{message.Topic}' is not a valid topic name");
        if (message.QoS == MqttQualityOfService.ExactlyOnce)
            return MqttPublishResult.Local(MqttReasonCode.QoSNotSupported, "QoS 2 is not supported by this client");
        var connection = _connection;
        if (connection is not null && message.QoS > connection.MaximumQoS)
            return MqttPublishResult.Local(MqttReasonCode.QoSNotSupported, $"the broker's Maximum QoS is {(int)connection.MaximumQoS}");
        if (connection is not null && message.Retain && !connection.RetainAvailable)
            return MqttPublishResult.Local(MqttReasonCode.RetainNotSupported, "the broker does not support retained messages");
        int max = MaximumPacketSize;
        if (max > 0 && MqttPacketWriter.GetSize(message.ToPacket(1), _options.Version) > max)
            return MqttPublishResult.Local(MqttReasonCode.PacketTooLarge, $"larger than the broker's maximum packet size {max}");
        return null;
    }

    private async ValueTask DeliverAsync(PublishPacket packet, CancellationToken cancellationToken)
    {
        var message = MqttMessage.FromPacket(packet);
        if (_inbound.Writer.TryWrite(message))
        {
            Interlocked.Increment(ref _received);
            return;
        }
        if (packet.QoS == MqttQualityOfService.AtMostOnce)
        {
            Interlocked.Increment(ref _dropped);
            MqttClientLog.InboundDropped(_logger, packet.Topic, _options.InboundCapacity);
            return;
        }
        try
        {
            await _inbound.Writer.WriteAsync(message, cancellationToken).ConfigureAwait(false);
            Interlocked.Increment(ref _received);
        }
        catch (ChannelClosedException)
        {
            // Stopped: no PUBACK is sent (the connection is closing), so the broker keeps the message.
            throw new OperationCanceledException(cancellationToken);
        }
    }

    private ConnectPacket BuildConnect()
    {
        bool v5 = _options.Version == MqttProtocolVersion.V500;
        return new ConnectPacket
        {
            ProtocolVersion = _options.Version,
            ClientId = _options.ClientId,
            KeepAliveSeconds = (ushort)_options.KeepAliveSeconds,
            CleanStart = _options.CleanStart,
            Username = _options.Username,
            // The cast matters: a null byte[] would convert to an empty but *present* password.
            Password = _options.Password is null ? null : (ReadOnlyMemory<byte>?)System.Text.Encoding.UTF8.GetBytes(_options.Password),
            Will = _options.WillTopic is null ? null : new MqttWill
            {
                Topic = _options.WillTopic,
                Payload = System.Text.Encoding.UTF8.GetBytes(_options.WillPayload ?? ""),
                QoS = MqttQualityOfService.AtLeastOnce,
                Retain = _options.WillRetain,
            },
            // §3.1.2.11.3: our Receive Maximum bounds how many QoS 1 messages the broker pushes unacknowledged.
            Properties = v5
                ? new MqttProperties
                {
                    SessionExpiryInterval = _options.SessionExpirySeconds == 0 ? null : _options.SessionExpirySeconds,
                    ReceiveMaximum = (ushort)Math.Min(ushort.MaxValue, _options.InboundCapacity),
                }
                : MqttProperties.Empty,
        };
    }

    /// <summary>Exponential backoff with "equal jitter": uniform in [d/2, d] for d = min·2ⁿ capped at max, never below min.</summary>
    private TimeSpan NextDelay(int attempt)
    {
        double min = _options.ReconnectMinSeconds, max = _options.ReconnectMaxSeconds;
        double ceiling = Math.Min(max, min * Math.Pow(2, Math.Min(attempt, 30)));
        double seconds = ceiling / 2 + _random.NextDouble() * ceiling / 2;
        return TimeSpan.FromSeconds(Math.Clamp(seconds, min, max));
    }

    private void LogRefusals(IReadOnlyList<MqttSubscription> subscriptions, SubAckPacket ack)
    {
        for (int i = 0; i < Math.Min(subscriptions.Count, ack.ReasonCodes.Count); i++)
            if (!ack.ReasonCodes[i].IsSuccess()) MqttClientLog.SubscribeRefused(_logger, subscriptions[i].TopicFilter, ack.ReasonCodes[i].Describe());
    }

    private void SetState(MqttConnectionState state, MqttConnectionException? error)
    {
        if (_state == state || _state == MqttConnectionState.Stopped) return;
        _state = state;
        RaiseStateChanged(new MqttConnectionStateChangedEventArgs(state, Volatile.Read(ref _connectCount), false, error));
    }

    private void RaiseStateChanged(MqttConnectionStateChangedEventArgs args)
    {
        try { ConnectionStateChanged?.Invoke(this, args); }
        catch (Exception e) { MqttClientLog.StateHandlerFailed(_logger, e); }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
