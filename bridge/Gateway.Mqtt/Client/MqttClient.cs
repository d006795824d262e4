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

    // Guarded by _gate: the ordered in-flight list and the live connection.
    private readonly LinkedList<PendingPublish> _pending = new();
    private readonly List<MqttSubscription> _subscriptions = [];
    private LinkedListNode<PendingPublish>? _nextToSend;
    private MqttConnection? _connection;
    private int _onWire;
    private int _window;
    private int _maximumPacketSize;
    private TaskCompletionSource _connected = NewSignal();

    private Task _supervisor = Task.CompletedTask;
    private volatile MqttConnectionState _state = MqttConnectionState.Disconnected;
    private int _connectCount;
    private long _connectFailures, _sent, _resent, _acknowledged, _pubAckFailures, _received, _dropped;

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
        _window = options.MaxInflight;
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
    public int MaximumPacketSize { get { lock (_gate) return _maximumPacketSize; } }

    /// <summary>The effective in-flight window: min(MaxInflight, broker Receive Maximum).</summary>
    public int InflightWindow { get { lock (_gate) return _window; } }

    public MqttProtocolVersion ProtocolVersion => _options.Version;

    public MqttClientCounters GetCounters() => new(
        Volatile.Read(ref _connectCount), Math.Max(0, Volatile.Read(ref _connectCount) - 1), Interlocked.Read(ref _connectFailures),
        Interlocked.Read(ref _sent), Interlocked.Read(ref _resent), Interlocked.Read(ref _acknowledged),
        Interlocked.Read(ref _pubAckFailures), Interlocked.Read(ref _received), Interlocked.Read(ref _dropped));

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
            // Accepted in call order, sent in that order as the window allows: ordering never
            // depends on which waiter wins a race.
            // The packet id is taken when the message first goes on the wire (Pump), so a long
            // queue never exhausts the 65,535 ids; only the window holds them.
            node = _pending.AddLast(new PendingPublish(message.ToPacket(0)));
            _nextToSend ??= node;
            Pump();
        }
        using var registration = cancellationToken.CanBeCanceled
            ? cancellationToken.Register(static s => { var (client, node) = ((MqttClient, LinkedListNode<PendingPublish>))s!; client.WithdrawUnsent(node); }, (this, node))
            : default;
        return await node.Value.Result.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A cancelled publish that never reached the wire is withdrawn; one already sent stays in flight.</summary>
    private void WithdrawUnsent(LinkedListNode<PendingPublish> node)
    {
        lock (_gate)
        {
            if (node.List is null || node.Value.EverSent) return;
            if (_nextToSend == node) _nextToSend = node.Next;
            _pending.Remove(node);
        }
        node.Value.Result.TrySetCanceled();
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
            abandoned = [.. _pending];
            _pending.Clear();
            _nextToSend = null;
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
            _window = Math.Max(1, Math.Min(_options.MaxInflight, (int)connection.ReceiveMaximum));
            _maximumPacketSize = connection.MaximumPacketSize;
            _onWire = 0;
            _nextToSend = _pending.First;
            pending = _pending.Count;
            Pump();
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
            _onWire = 0;
            foreach (var p in _pending) p.SentOn = null;
            _nextToSend = _pending.First;
            pending = _pending.Count;
            if (_connected.Task.IsCompleted) _connected = NewSignal();
        }
        MqttClientLog.ConnectionLost(_logger, reason.Reason, reason.Message, pending);
    }

    /// <summary>
    /// Sends unsent publishes, oldest first, while the window has room. Called under <see cref="_gate"/>;
    /// it only queues packets on the connection's writer, so holding the lock is cheap.
    /// </summary>
    private void Pump()
    {
        var connection = _connection;
        if (connection is null) return;
        while (_nextToSend is { } node && _onWire < _window)
        {
            _nextToSend = node.Next;
            var pending = node.Value;
            if (pending.Packet.PacketId == 0) pending.Packet = pending.Packet with { PacketId = _packetIds.Allocate() };
            // MQTT 5.0 §3.2.2.3.6: never send a packet above the broker's Maximum Packet Size.
            if (_maximumPacketSize > 0 && MqttPacketWriter.GetSize(pending.Packet, connection.ProtocolVersion) > _maximumPacketSize)
            {
                Finish(node, MqttPublishResult.Local(MqttReasonCode.PacketTooLarge, $"larger than the broker's maximum packet size {_maximumPacketSize}"));
                continue;
            }
            // MQTT 5.0 §4.4 / 3.1.1 §4.4: a resent PUBLISH keeps its packet id and sets DUP (§3.3.1.1).
            var packet = pending.EverSent ? pending.Packet with { Dup = true } : pending.Packet;
            if (pending.EverSent) Interlocked.Increment(ref _resent); else Interlocked.Increment(ref _sent);
            pending.EverSent = true;
            pending.SentOn = connection;
            _onWire++;
            var ack = connection.PublishAtLeastOnce(packet);
            ack.ContinueWith(static (t, s) => { var (client, node, conn) = ((MqttClient, LinkedListNode<PendingPublish>, MqttConnection))s!; client.OnAck(node, conn, t); },
                (this, node, connection), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    private void OnAck(LinkedListNode<PendingPublish> node, MqttConnection connection, Task<PubAckPacket> ack)
    {
        // A failed ack means the connection died: the publish stays pending and is resent later.
        if (!ack.IsCompletedSuccessfully) return;
        var pubAck = ack.Result;
        lock (_gate)
        {
            // An ack from a connection that is no longer current is stale: the message was (or will be) resent.
            if (node.List is null || node.Value.SentOn != connection) return;
            _onWire--;
            var result = pubAck.ReasonCode == MqttReasonCode.Success && pubAck.Properties.ReasonString is null
                ? MqttPublishResult.Success
                : new MqttPublishResult(pubAck.ReasonCode, pubAck.Properties.ReasonString);
            Finish(node, result);
            Pump();
        }
    }

    /// <summary>Removes a publish from the window and completes its caller. Under <see cref="_gate"/>.</summary>
    private void Finish(LinkedListNode<PendingPublish> node, MqttPublishResult result)
    {
        if (_nextToSend == node) _nextToSend = node.Next;
        _pending.Remove(node);
        if (node.Value.Packet.PacketId != 0) _packetIds.Release(node.Value.Packet.PacketId);
        if (result.IsSuccess) Interlocked.Increment(ref _acknowledged);
        else
        {
            Interlocked.Increment(ref _pubAckFailures);
            MqttClientLog.PublishRejected(_logger, node.Value.Packet.Topic, result.ReasonCode.Describe(), result.ReasonString);
        }
        node.Value.Result.TrySetResult(result);
    }

    private MqttPublishResult PublishAtMostOnce(MqttMessage message)
    {
        MqttConnection? connection;
        lock (_gate) connection = _connection;
        if (connection is null || !connection.PublishAtMostOnce(message.ToPacket(0)))
            return MqttPublishResult.Local(MqttReasonCode.UnspecifiedError, "not connected; QoS 0 messages are not queued");
        Interlocked.Increment(ref _sent);
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

    private sealed class PendingPublish(PublishPacket packet)
    {
        public PublishPacket Packet { get; set; } = packet;
        public TaskCompletionSource<MqttPublishResult> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public bool EverSent { get; set; }
        /// <summary>The connection it is currently on the wire of, null when waiting to be (re)sent.</summary>
        public MqttConnection? SentOn { get; set; }
    }
}
