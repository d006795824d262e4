using System.Threading.Channels;
using Gateway.Mqtt.Protocol;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MQTTnet;
using MQTTnet.Exceptions;
using WireOptions = MQTTnet.MqttClientOptions;

namespace Gateway.Mqtt.Client;

/// <summary>
/// The bridge's MQTT client: a supervisor over MQTTnet that keeps one <see cref="MqttSession"/>
/// alive forever (exponential backoff with jitter between attempts), re-subscribes after every
/// connect, and makes a QoS 1 publish complete only with its PUBACK: one whose connection dies
/// first is sent again, with DUP, on the next connection (at least once; MQTTnet itself fails it).
/// </summary>
/// <remarks>
/// Inbound policy (<see cref="Messages"/>, bounded by <see cref="MqttClientOptions.InboundCapacity"/>):
/// QoS 1 messages are back-pressured: MQTTnet's handler waits for room and the PUBACK goes out only
/// once the message is queued, so nothing acknowledged is lost and the broker keeps the rest. QoS 0
/// messages (at most once by definition) are dropped when the queue is full, counted and logged.
/// </remarks>
public sealed class MqttClient : IAsyncDisposable
{
    private readonly MqttClientOptions _options;
    private readonly WireOptions _wire;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Random _random;
    private readonly Channel<MqttMessage> _inbound;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();

    // Guarded by _gate: the subscriptions, the live session and the signal that one is up.
    private readonly List<MqttSubscription> _subscriptions = [];
    private int _subscriptionsVersion; // bumped under _gate by every SubscribeAsync (see OnConnectedAsync)
    private MqttSession? _session;
    private TaskCompletionSource _connected = NewSignal();
    private int _maximumPacketSize, _window;
    private bool _retainAvailable = true;
    private MqttQualityOfService _maximumQoS = MqttQualityOfService.ExactlyOnce;

    private Task _supervisor = Task.CompletedTask;
    private volatile MqttConnectionState _state = MqttConnectionState.Disconnected;
    private int _connectCount;
    private long _connectFailures, _sent, _resent, _acknowledged, _failures, _received, _dropped;

    public MqttClient(MqttClientOptions options, ILogger<MqttClient>? logger = null, TimeProvider? timeProvider = null, Random? random = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate();
        if (errors.Count > 0) throw new ArgumentException(string.Join(Environment.NewLine, errors), nameof(options));
        _options = options;
        _wire = MqttWire.BuildOptions(options);
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

    /// <summary>The effective in-flight window: min(MaxInflight, the broker's Receive Maximum).</summary>
    public int InflightWindow { get { lock (_gate) return _window; } }

    public MqttProtocolVersion ProtocolVersion => _options.Version;

    public MqttClientCounters GetCounters() => new(
        Volatile.Read(ref _connectCount), Math.Max(0, Volatile.Read(ref _connectCount) - 1), Interlocked.Read(ref _connectFailures),
        Interlocked.Read(ref _sent), Interlocked.Read(ref _resent), Interlocked.Read(ref _acknowledged),
        Interlocked.Read(ref _failures), Interlocked.Read(ref _received), Interlocked.Read(ref _dropped));

    /// <summary>Starts the supervisor; returns at once. Publishes made before the first connect wait for it.</summary>
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
    /// Publishes one message. QoS 1: waits for a connection, then for a place in the in-flight window
    /// (min(MaxInflight, Receive Maximum) unacknowledged on the wire), and completes when the PUBACK
    /// arrives — across reconnects if needed — with its reason code (a v5 refusal is a result, not an
    /// exception). Callers bound how many wait by how many they start (the forwarder's batch). QoS 0:
    /// completes once written. Cancelling withdraws the message; one already on the wire may still arrive.
    /// Throws <see cref="ObjectDisposedException"/> when the client is stopped before the PUBACK.
    /// </summary>
    public async ValueTask<MqttPublishResult> PublishAsync(MqttMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (LocalRejection(message) is { } rejected) return rejected;
        var wire = MqttWire.ToWire(message);
        if (message.QoS == MqttQualityOfService.AtMostOnce) return await PublishAtMostOnceAsync(wire, cancellationToken).ConfigureAwait(false);

        bool sentBefore = false;
        while (true)
        {
            var session = await NextSessionAsync(cancellationToken).ConfigureAwait(false);
            if (session.MaximumPacketSize > 0 && MqttPublishSize.Of(message, _options.Version) > session.MaximumPacketSize)
                return MqttPublishResult.Local(MqttReasonCode.PacketTooLarge, $"larger than the broker's maximum packet size {session.MaximumPacketSize}");
            try
            {
                await session.EnterWindowAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                continue;  // the connection ended while we waited for a place: wait for the next one
            }
            try
            {
                // The connection may have ended while we waited: then this message never left, and is no resend.
                if (!session.IsAlive) continue;
                // §4.4: a PUBLISH sent again must carry DUP (MQTTnet copies the flag onto the packet).
                wire.Dup = sentBefore;
                Interlocked.Increment(ref sentBefore ? ref _resent : ref _sent);
                sentBefore = true;
                var result = await session.PublishAsync(wire, cancellationToken).ConfigureAwait(false);
                if (result.IsSuccess) Interlocked.Increment(ref _acknowledged);
                else
                {
                    Interlocked.Increment(ref _failures);
                    MqttClientLog.PublishRejected(_logger, message.Topic, result.ReasonCode.Describe(), result.ReasonString);
                }
                return result;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception e) when (e is MqttCommunicationException or OperationCanceledException or ObjectDisposedException)
            {
                // The connection went before the PUBACK: nothing is known about delivery, so it goes again
                // on the next one. Make sure this one is really finished, or the loop would find it again.
                await session.EndAfterFailureAsync(e).ConfigureAwait(false);
            }
            catch (Exception e) when (e is MqttProtocolViolationException or NotSupportedException or ArgumentException)
            {
                // MQTTnet refused the message itself: the same message would fail on every connection.
                Interlocked.Increment(ref _failures);
                return MqttPublishResult.Local(MqttReasonCode.UnspecifiedError, e.Message);
            }
            finally
            {
                session.LeaveWindow();
            }
        }
    }

    /// <summary>
    /// Adds subscriptions (kept for every future connect). Connected: returns the SUBACK codes.
    /// Disconnected, or the connection drops meanwhile: returns <see cref="MqttSubscribeResult.Deferred"/>.
    /// </summary>
    public async Task<MqttSubscribeResult> SubscribeAsync(IReadOnlyList<MqttSubscription> subscriptions, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(subscriptions);
        if (subscriptions.Count == 0) throw new ArgumentException("at least one subscription", nameof(subscriptions));
        if (subscriptions.Any(s => s.QoS == MqttQualityOfService.ExactlyOnce))
            throw new ArgumentException("QoS 2 subscriptions are not supported by this client", nameof(subscriptions));
        MqttSession? session;
        lock (_gate)
        {
            foreach (var s in subscriptions)
            {
                _subscriptions.RemoveAll(x => x.TopicFilter == s.TopicFilter);
                _subscriptions.Add(s);
            }
            _subscriptionsVersion++;
            session = _session;
        }
        if (session is null) return new MqttSubscribeResult([], Deferred: true);
        try
        {
            var codes = await session.SubscribeAsync(subscriptions, _options.Version, cancellationToken).ConfigureAwait(false);
            LogRefusals(subscriptions, codes);
            return new MqttSubscribeResult(codes, Deferred: false);
        }
        catch (Exception e) when (e is MqttCommunicationException or ObjectDisposedException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return new MqttSubscribeResult([], Deferred: true);
        }
    }

    /// <summary>Forgets the filters and, when connected, unsubscribes (best effort).</summary>
    public async Task UnsubscribeAsync(IReadOnlyList<string> topicFilters, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(topicFilters);
        MqttSession? session;
        lock (_gate)
        {
            _subscriptions.RemoveAll(s => topicFilters.Contains(s.TopicFilter));
            session = _session;
        }
        if (session is null) return;
        try { await session.UnsubscribeAsync(topicFilters, cancellationToken).ConfigureAwait(false); }
        catch (Exception e) when (e is MqttCommunicationException or ObjectDisposedException) { /* not subscribed on the next connection anyway */ }
    }

    /// <summary>
    /// Stops reconnecting, sends DISCONNECT (normal), fails every waiting publish with
    /// <see cref="ObjectDisposedException"/> (unacknowledged data is the caller's: the outbox keeps it)
    /// and completes <see cref="Messages"/>.
    /// </summary>
    public async Task StopAsync()
    {
        if (_state == MqttConnectionState.Stopped) return;
        _stop.Cancel();
        try { await _supervisor.ConfigureAwait(false); } catch (OperationCanceledException) { }
        MqttSession? session;
        lock (_gate)
        {
            if (_state == MqttConnectionState.Stopped) return;
            _state = MqttConnectionState.Stopped;
            session = _session;
            _session = null;
            // Wakes every publish waiting for a connection; they find the client stopped.
            _connected.TrySetResult();
        }
        if (session is not null)
        {
            await session.DisconnectAsync().ConfigureAwait(false);
            await session.DisposeAsync().ConfigureAwait(false);
        }
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
                var session = await MqttSession.ConnectAsync(_options, _wire, _time, _logger, DeliverAsync, stop).ConfigureAwait(false);
                long connectedAt = _time.GetTimestamp();
                try
                {
                    await OnConnectedAsync(session, stop).ConfigureAwait(false);
                    failure = await session.Ended.WaitAsync(stop).ConfigureAwait(false);
                    OnDisconnected(session, failure);
                }
                finally
                {
                    // Stopping: say goodbye (DISCONNECT, normal) so the broker does not publish our Will.
                    if (stop.IsCancellationRequested) await session.DisconnectAsync().ConfigureAwait(false);
                    await session.DisposeAsync().ConfigureAwait(false);
                }
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

    private async Task OnConnectedAsync(MqttSession session, CancellationToken stop)
    {
        // Subscriptions first, then publishes, so downlinks are in place before anything else happens. A
        // SubscribeAsync racing this connect finds no session yet (Deferred), so the session is published only
        // once no subscription was added since the last SUBSCRIBE: otherwise a filter added meanwhile would
        // wait for the next reconnect, and the cloud's downlinks on it would be lost until then.
        int applied = -1, count;
        while (true)
        {
            MqttSubscription[] subscriptions;
            lock (_gate)
            {
                if (_subscriptionsVersion == applied)
                {
                    count = Interlocked.Increment(ref _connectCount);
                    _session = session;
                    _maximumPacketSize = session.MaximumPacketSize;
                    _window = session.WindowSize;
                    _retainAvailable = session.RetainAvailable;
                    _maximumQoS = session.MaximumQoS;
                    _connected.TrySetResult();
                    break;
                }
                applied = _subscriptionsVersion;
                subscriptions = [.. _subscriptions];
            }
            if (subscriptions.Length == 0) continue;
            try
            {
                // Filters already subscribed on this connection are subscribed again: a SUBSCRIBE for an existing filter replaces it (MQTT 5.0 §3.8.4, 3.1.1 §3.8.4).
                LogRefusals(subscriptions, await session.SubscribeAsync(subscriptions, _options.Version, stop).ConfigureAwait(false));
                MqttClientLog.Resubscribed(_logger, subscriptions.Length);
            }
            catch (Exception e) when (e is MqttCommunicationException || (e is OperationCanceledException && !stop.IsCancellationRequested))
            {
                // The connection died; Ended tells the supervisor.
            }
        }
        MqttClientLog.Connected(_logger, session.SessionPresent, session.ReceiveMaximum, session.MaximumPacketSize, session.KeepAlive);
        _state = MqttConnectionState.Connected;
        RaiseStateChanged(new MqttConnectionStateChangedEventArgs(MqttConnectionState.Connected, count, session.SessionPresent, null));
    }

    private void OnDisconnected(MqttSession session, MqttConnectionException reason)
    {
        Forget(session);
        MqttClientLog.ConnectionLost(_logger, reason.Reason, reason.Message);
    }

    /// <summary>Whoever notices a dead session first (supervisor or a failed publish) clears it; idempotent.</summary>
    private void Forget(MqttSession session)
    {
        lock (_gate)
        {
            if (_session != session) return;
            _session = null;
            if (_connected.Task.IsCompleted && _state != MqttConnectionState.Stopped) _connected = NewSignal();
        }
    }

    private async ValueTask<MqttSession> NextSessionAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task up;
            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_state == MqttConnectionState.Stopped, this);
                if (_session is { IsAlive: true } session) return session;
                up = _connected.Task;
            }
            if (up.IsCompleted && _session is { } dead) Forget(dead);
            else await up.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private async ValueTask<MqttPublishResult> PublishAtMostOnceAsync(MqttApplicationMessage wire, CancellationToken cancellationToken)
    {
        MqttSession? session;
        lock (_gate) session = _session;
        if (session is not { IsAlive: true })
            return MqttPublishResult.Local(MqttReasonCode.UnspecifiedError, "not connected; QoS 0 messages are not queued");
        try
        {
            await session.PublishAtMostOnceAsync(wire, cancellationToken).ConfigureAwait(false);
            Interlocked.Increment(ref _sent);
            return MqttPublishResult.Success;
        }
        catch (Exception e) when (e is MqttCommunicationException or ObjectDisposedException)
        {
            return MqttPublishResult.Local(MqttReasonCode.UnspecifiedError, "connection lost; QoS 0 messages are not resent");
        }
    }

    private MqttPublishResult? LocalRejection(MqttMessage message)
    {
        // MQTT 5.0 §3.3.2.1 / §4.7: a topic name is non-empty, wildcard-free and without U+0000.
        if (message.Topic.Length == 0 || message.Topic.AsSpan().IndexOfAny("+#\0") >= 0 || System.Text.Encoding.UTF8.GetByteCount(message.Topic) > ushort.MaxValue)
            return MqttPublishResult.Local(MqttReasonCode.TopicNameInvalid, $"'{message.Topic}' is not a valid topic name");
        if (message.QoS == MqttQualityOfService.ExactlyOnce)
            return MqttPublishResult.Local(MqttReasonCode.QoSNotSupported, "QoS 2 is not supported by this client");
        int max;
        lock (_gate)
        {
            if (message.QoS > _maximumQoS)
                return MqttPublishResult.Local(MqttReasonCode.QoSNotSupported, $"the broker's Maximum QoS is {(int)_maximumQoS}");
            if (message.Retain && !_retainAvailable)
                return MqttPublishResult.Local(MqttReasonCode.RetainNotSupported, "the broker does not support retained messages");
            max = _maximumPacketSize;
        }
        if (max > 0 && MqttPublishSize.Of(message, _options.Version) > max)
            return MqttPublishResult.Local(MqttReasonCode.PacketTooLarge, $"larger than the broker's maximum packet size {max}");
        return null;
    }

    private async ValueTask DeliverAsync(MqttMessage message, CancellationToken connectionAlive)
    {
        if (_inbound.Writer.TryWrite(message))
        {
            Interlocked.Increment(ref _received);
            return;
        }
        if (message.QoS == MqttQualityOfService.AtMostOnce)
        {
            Interlocked.Increment(ref _dropped);
            MqttClientLog.InboundDropped(_logger, message.Topic, _options.InboundCapacity);
            return;
        }
        try
        {
            await _inbound.Writer.WriteAsync(message, connectionAlive).ConfigureAwait(false);
            Interlocked.Increment(ref _received);
        }
        catch (ChannelClosedException)
        {
            // Stopped: no PUBACK is sent (the connection is closing), so the broker keeps the message.
            throw new OperationCanceledException(connectionAlive);
        }
    }

    /// <summary>Exponential backoff with "equal jitter": uniform in [d/2, d] for d = min·2ⁿ capped at max, never below min.</summary>
    private TimeSpan NextDelay(int attempt)
    {
        double min = _options.ReconnectMinSeconds, max = _options.ReconnectMaxSeconds;
        double ceiling = Math.Min(max, min * Math.Pow(2, Math.Min(attempt, 30)));
        double seconds = ceiling / 2 + _random.NextDouble() * ceiling / 2;
        return TimeSpan.FromSeconds(Math.Clamp(seconds, min, max));
    }

    private void LogRefusals(IReadOnlyList<MqttSubscription> subscriptions, IReadOnlyList<MqttReasonCode> codes)
    {
        for (int i = 0; i < Math.Min(subscriptions.Count, codes.Count); i++)
            if (!codes[i].IsSuccess()) MqttClientLog.SubscribeRefused(_logger, subscriptions[i].TopicFilter, codes[i].Describe());
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
