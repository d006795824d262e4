using Gateway.Mqtt.Protocol;
using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Exceptions;
using WireOptions = MQTTnet.MqttClientOptions;

namespace Gateway.Mqtt.Client;

/// <summary>
/// One live connection: an MQTTnet client that is used for exactly one connection and then thrown
/// away, so the connection dies as a unit (no state of a dead link leaks into the next one). Adds
/// what MQTTnet leaves to its user: the broker's Receive Maximum as an in-flight window, and
/// dead-link detection that also works while we are sending (MQTTnet pings only when nothing was
/// sent for a keep-alive period, so a publisher on a silently dead link would wait for ever).
/// </summary>
internal sealed class MqttSession : IAsyncDisposable
{
    private readonly IMqttClient _client;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Func<MqttMessage, CancellationToken, ValueTask> _deliver;
    private readonly CancellationTokenSource _alive = new();
    private readonly TaskCompletionSource<MqttConnectionException> _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private SemaphoreSlim _window = new(1, 1);
    private TimeSpan _keepAlive;
    private long _lastHeard;
    private Task _watchdog = Task.CompletedTask;
    private int _disposed;

    private MqttSession(TimeProvider time, ILogger logger, Func<MqttMessage, CancellationToken, ValueTask> deliver)
    {
        _client = new MqttClientFactory().CreateMqttClient();
        _time = time;
        _logger = logger;
        _deliver = deliver;
        _client.ApplicationMessageReceivedAsync += OnMessageAsync;
        _client.DisconnectedAsync += OnDisconnectedAsync;
    }

    public bool SessionPresent { get; private set; }
    public int ReceiveMaximum { get; private set; }
    /// <summary>The broker's Maximum Packet Size (0 = none announced).</summary>
    public int MaximumPacketSize { get; private set; }
    public bool RetainAvailable { get; private set; } = true;
    public MqttQualityOfService MaximumQoS { get; private set; } = MqttQualityOfService.ExactlyOnce;
    public int WindowSize { get; private set; }
    public TimeSpan KeepAlive => _keepAlive;

    public bool IsAlive => !_ended.Task.IsCompleted;

    /// <summary>Completes once, with why the connection ended.</summary>
    public Task<MqttConnectionException> Ended => _ended.Task;

    /// <summary>Connects, or throws <see cref="MqttConnectionException"/> (refused, timed out, transport).</summary>
    public static async Task<MqttSession> ConnectAsync(MqttClientOptions options, WireOptions wire, TimeProvider time, ILogger logger,
        Func<MqttMessage, CancellationToken, ValueTask> deliver, CancellationToken cancellationToken)
    {
        var session = new MqttSession(time, logger, deliver);
        var connectTimeout = TimeSpan.FromSeconds(options.ConnectTimeoutSeconds);
        using var timeout = new CancellationTokenSource(connectTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        MqttClientConnectResult result;
        try
        {
            result = await session._client.ConnectAsync(wire, linked.Token).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            await session.DisposeAsync().ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            if (timeout.IsCancellationRequested)
                throw new MqttConnectionException(MqttDisconnectReason.ConnectTimeout, $"no CONNACK within {connectTimeout.TotalSeconds:0.#} s", innerException: e);
            throw new MqttConnectionException(MqttDisconnectReason.TransportError, e.GetBaseException().Message, innerException: e);
        }
        if (result.ResultCode != MqttClientConnectResultCode.Success)
        {
            await session.DisposeAsync().ConfigureAwait(false);
            var code = (MqttReasonCode)(byte)result.ResultCode;
            throw new MqttConnectionException(MqttDisconnectReason.ConnectRefused,
                $"the broker refused the connection: {code.Describe()}{(result.ReasonString is { } why ? " " + why : "")}", code);
        }
        session.Accept(options, result);
        return session;
    }

    private void Accept(MqttClientOptions options, MqttClientConnectResult result)
    {
        SessionPresent = result.IsSessionPresent;
        // §3.2.2.3.3: absent means 65,535.
        ReceiveMaximum = result.ReceiveMaximum is > 0 and var r ? r : ushort.MaxValue;
        MaximumPacketSize = result.MaximumPacketSize is { } max and > 0 ? (int)Math.Min(max, int.MaxValue) : 0;
        if (options.Version == MqttProtocolVersion.V500)
        {
            // 3.1.1 has neither (MQTTnet leaves them at their defaults there).
            RetainAvailable = result.RetainAvailable;
            MaximumQoS = (MqttQualityOfService)result.MaximumQoS;
        }
        // MQTTnet does not hold back publishes beyond the broker's Receive Maximum (§4.9): we do.
        WindowSize = Math.Max(1, Math.Min(options.MaxInflight, ReceiveMaximum));
        _window = new SemaphoreSlim(WindowSize, WindowSize);
        // §3.2.2.3.14: a Server Keep Alive replaces ours.
        _keepAlive = result.ServerKeepAlive > 0 ? TimeSpan.FromSeconds(result.ServerKeepAlive) : TimeSpan.FromSeconds(options.KeepAliveSeconds);
        _lastHeard = _time.GetTimestamp();
        if (_keepAlive > TimeSpan.Zero) _watchdog = Task.Run(() => WatchAsync(_alive.Token));
    }

    /// <summary>A place among the unacknowledged publishes (MQTT 5.0 §4.9); give it back with <see cref="LeaveWindow"/>.</summary>
    public Task EnterWindowAsync(CancellationToken cancellationToken) => _window.WaitAsync(Bounded(cancellationToken));

    public void LeaveWindow() => _window.Release();

    /// <summary>QoS 1: waits for the PUBACK. Throws MQTTnet's <see cref="MqttCommunicationException"/> when the connection goes first.</summary>
    public async Task<MqttPublishResult> PublishAsync(MqttApplicationMessage message, CancellationToken cancellationToken)
    {
        var result = await _client.PublishAsync(message, Bounded(cancellationToken)).ConfigureAwait(false);
        Heard();
        return MqttWire.ToResult(result);
    }

    /// <summary>
    /// After a publish failed for the connection's sake: lets MQTTnet report why (its disconnect event
    /// follows the failure), and ends the connection itself if it does not.
    /// </summary>
    public async Task EndAfterFailureAsync(Exception failure)
    {
        if (!IsAlive) return;
        try { await _ended.Task.WaitAsync(TimeSpan.FromSeconds(1), _time).ConfigureAwait(false); }
        catch (TimeoutException) { await AbortAsync(MqttDisconnectReason.TransportError, failure.GetBaseException().Message).ConfigureAwait(false); }
    }

    /// <summary>QoS 0: written to the socket, nothing to wait for.</summary>
    public Task PublishAtMostOnceAsync(MqttApplicationMessage message, CancellationToken cancellationToken) =>
        _client.PublishAsync(message, Bounded(cancellationToken));

    public async Task<IReadOnlyList<MqttReasonCode>> SubscribeAsync(IReadOnlyList<MqttSubscription> subscriptions, MqttProtocolVersion version, CancellationToken cancellationToken)
    {
        var result = await _client.SubscribeAsync(MqttWire.ToWire(subscriptions, version), Bounded(cancellationToken)).ConfigureAwait(false);
        Heard();
        return MqttWire.ToReasonCodes(result);
    }

    public async Task UnsubscribeAsync(IReadOnlyList<string> topicFilters, CancellationToken cancellationToken)
    {
        var options = new MqttClientUnsubscribeOptions { TopicFilters = [.. topicFilters] };
        await _client.UnsubscribeAsync(options, Bounded(cancellationToken)).ConfigureAwait(false);
        Heard();
    }

    /// <summary>Ends the connection without ceremony (dead link, or a publish saw it fail); idempotent.</summary>
    public async Task AbortAsync(MqttDisconnectReason reason, string message)
    {
        if (!_ended.TrySetResult(new MqttConnectionException(reason, message))) return;
        await CloseAsync(MqttClientDisconnectOptionsReason.UnspecifiedError).ConfigureAwait(false);
    }

    /// <summary>Sends DISCONNECT (normal) and ends the connection.</summary>
    public async Task DisconnectAsync()
    {
        _ended.TrySetResult(new MqttConnectionException(MqttDisconnectReason.ClientDisconnect, "disconnected by this client"));
        await CloseAsync(MqttClientDisconnectOptionsReason.NormalDisconnection).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _ended.TrySetResult(new MqttConnectionException(MqttDisconnectReason.ClientDisconnect, "disposed"));
        _alive.Cancel();
        try { await _watchdog.ConfigureAwait(false); } catch (OperationCanceledException) { }
        _client.Dispose();
        _alive.Dispose();
    }

    private async Task CloseAsync(MqttClientDisconnectOptionsReason reason)
    {
        try
        {
            // Bounded: on a dead link the DISCONNECT itself would wait for the socket.
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1), _time);
            if (_client.IsConnected) await _client.DisconnectAsync(new MqttClientDisconnectOptions { Reason = reason }, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is MqttCommunicationException or OperationCanceledException or ObjectDisposedException)
        {
            // The link is going anyway; MQTTnet tears the socket down in its finally.
        }
        Cancel();
    }

    /// <summary>
    /// Dead-link detection (MQTT 5.0 §3.1.2.10 from the client's side): when nothing was heard for one
    /// keep-alive period, a PINGREQ must be answered within half a period more, else the link is dead
    /// (1.5 × keep alive, the limit a broker applies to us). A busy link is never pinged: PUBACKs count.
    /// Both limits count from the last packet heard, not from a watchdog tick or from the PINGREQ, so a late wake-up
    /// does not stretch the bound (a quarter-period tick used to make it up to 1.75 × keep alive; FlappingLinkTests).
    /// </summary>
    private async Task WatchAsync(CancellationToken alive)
    {
        while (!alive.IsCancellationRequested)
        {
            var quiet = _time.GetElapsedTime(Interlocked.Read(ref _lastHeard));
            if (quiet < _keepAlive)
            {
                await Task.Delay(_keepAlive - quiet, _time, alive).ConfigureAwait(false);
                continue;
            }
            using var ping = CancellationTokenSource.CreateLinkedTokenSource(alive);
            // A floor of 1/8 period: a process that was not scheduled for a while still gets to read a PINGRESP.
            var left = _keepAlive * 1.5 - quiet;
            ping.CancelAfter(left > _keepAlive / 8 ? left : _keepAlive / 8);
            try
            {
                await _client.PingAsync(ping.Token).ConfigureAwait(false);
                Heard();
            }
            catch (Exception e) when (e is OperationCanceledException or MqttCommunicationTimedOutException && !alive.IsCancellationRequested)
            {
                MqttClientLog.DeadLink(_logger, _keepAlive * 1.5);
                await AbortAsync(MqttDisconnectReason.KeepAliveTimeout, $"no answer from the broker within {(_keepAlive * 1.5).TotalSeconds:0.#} s (keep alive)").ConfigureAwait(false);
                return;
            }
            catch (MqttCommunicationException)
            {
                return;  // the connection is already ending; OnDisconnectedAsync records why
            }
        }
    }

    private async Task OnMessageAsync(MqttApplicationMessageReceivedEventArgs e)
    {
        Heard();
        // MQTTnet sends the PUBACK when this returns and not at all when it throws (cancelled on the
        // way down), so a QoS 1 message is acknowledged only once it is in our queue.
        await _deliver(MqttWire.FromWire(e.ApplicationMessage), _alive.Token).ConfigureAwait(false);
    }

    private Task OnDisconnectedAsync(MqttClientDisconnectedEventArgs e)
    {
        if (!e.ClientWasConnected) return Task.CompletedTask;
        var reason = e.Reason switch
        {
            MqttClientDisconnectReason.NormalDisconnection when e.Exception is null => MqttDisconnectReason.ClosedByPeer,
            // MQTTnet's own keep-alive ping went unanswered.
            _ when e.Exception is OperationCanceledException or MqttCommunicationTimedOutException => MqttDisconnectReason.KeepAliveTimeout,
            _ when e.Exception is MqttProtocolViolationException => MqttDisconnectReason.ProtocolError,
            _ when e.Exception is null => MqttDisconnectReason.ServerDisconnect,
            _ => MqttDisconnectReason.TransportError,
        };
        string message = reason == MqttDisconnectReason.ServerDisconnect
            ? $"the broker sent DISCONNECT {((MqttReasonCode)(byte)e.Reason).Describe()}{(e.ReasonString is { } why ? " " + why : "")}"
            : e.Exception?.GetBaseException().Message ?? "the broker closed the connection";
        _ended.TrySetResult(new MqttConnectionException(reason, message,
            reason == MqttDisconnectReason.ServerDisconnect ? (MqttReasonCode)(byte)e.Reason : null, e.Exception));
        Cancel();
        return Task.CompletedTask;
    }

    /// <summary>MQTTnet falls back to its own timeout for a token that cannot be cancelled; this connection's life is the better bound.</summary>
    private CancellationToken Bounded(CancellationToken cancellationToken) => cancellationToken.CanBeCanceled ? cancellationToken : _alive.Token;

    /// <summary>MQTTnet may still report a disconnect while the session is being disposed.</summary>
    private void Cancel()
    {
        try { _alive.Cancel(); }
        catch (ObjectDisposedException) { }
    }

    private void Heard() => Interlocked.Exchange(ref _lastHeard, _time.GetTimestamp());
}
