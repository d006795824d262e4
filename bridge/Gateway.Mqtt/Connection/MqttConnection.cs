using System.Threading.Channels;
using Gateway.Mqtt.Packets;
using Gateway.Mqtt.Protocol;
using Gateway.Mqtt.Transport;

namespace Gateway.Mqtt.Connection;

/// <summary>
/// One live MQTT session over one transport connection: a reader loop, a single writer loop,
/// keep-alive, and the ack table. Any error (transport, protocol, keep-alive, server DISCONNECT)
/// ends the whole connection: every waiter fails, <see cref="Completion"/> reports why, and the
/// supervisor decides what next. Nothing here reconnects or retries.
/// </summary>
public sealed class MqttConnection : IAsyncDisposable
{
    private readonly IMqttTransportConnection _transport;
    private readonly MqttConnectionSettings _settings;
    private readonly TimeProvider _time;
    private readonly Channel<MqttPacket> _outbound = Channel.CreateUnbounded<MqttPacket>(new UnboundedChannelOptions { SingleReader = true });
    private readonly MqttAckTable _acks = new();
    private readonly CancellationTokenSource _cts = new();
    private readonly TaskCompletionSource<MqttConnectionException> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly object _timerGate = new();
    private readonly long _keepAliveTicks;
    private ITimer? _keepAliveTimer;
    private Task _readLoop = Task.CompletedTask, _writeLoop = Task.CompletedTask;
    private int _closing;
    private long _lastSent, _lastReceived;
    private volatile bool _pingOutstanding, _deliveryBlocked;

    private MqttConnection(IMqttTransportConnection transport, MqttConnectionSettings settings, ConnectPacket connect, ConnAckPacket connAck)
    {
        _transport = transport;
        _settings = settings;
        _time = settings.TimeProvider;
        ProtocolVersion = connect.ProtocolVersion;
        ConnAck = connAck;
        var p = connAck.Properties;
        // MQTT 5.0 §3.2.2.3.3: Receive Maximum absent = 65,535. §3.2.2.3.6: Maximum Packet Size
        // absent = no limit beyond the protocol's. §3.2.2.3.14: Server Keep Alive overrides ours.
        ReceiveMaximum = p.ReceiveMaximum ?? ushort.MaxValue;
        MaximumPacketSize = p.MaximumPacketSize is { } max ? (int)Math.Min(max, int.MaxValue) : 0;
        KeepAlive = TimeSpan.FromSeconds(p.ServerKeepAlive ?? connect.KeepAliveSeconds);
        MaximumQoS = (MqttQualityOfService)(p.MaximumQoS ?? 2);
        RetainAvailable = p.RetainAvailable != 0;
        _keepAliveTicks = (long)(KeepAlive.TotalSeconds * _time.TimestampFrequency);
        _lastSent = _lastReceived = _time.GetTimestamp();
    }

    public MqttProtocolVersion ProtocolVersion { get; }
    public ConnAckPacket ConnAck { get; }
    public bool SessionPresent => ConnAck.SessionPresent;
    /// <summary>How many QoS 1 publishes the broker accepts unacknowledged (Receive Maximum).</summary>
    public ushort ReceiveMaximum { get; }
    /// <summary>Largest packet the broker accepts, 0 if it set no limit.</summary>
    public int MaximumPacketSize { get; }
    public TimeSpan KeepAlive { get; }
    public MqttQualityOfService MaximumQoS { get; }
    public bool RetainAvailable { get; }
    public string RemoteEndPoint => _transport.RemoteEndPoint;
    public bool IsOpen => Volatile.Read(ref _closing) == 0;

    /// <summary>Completes (never faults) once the connection is closed and its transport released, with the reason.</summary>
    public Task<MqttConnectionException> Completion => _completion.Task;

    /// <summary>
    /// Opens the transport, sends CONNECT and waits for CONNACK. A refusal throws
    /// <see cref="MqttConnectionException"/> with <see cref="MqttDisconnectReason.ConnectRefused"/> and the code.
    /// </summary>
    public static async Task<MqttConnection> ConnectAsync(IMqttTransport transport, ConnectPacket connect, MqttConnectionSettings settings, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(settings.ConnectTimeout, settings.TimeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        IMqttTransportConnection? stream = null;
        try
        {
            stream = await transport.ConnectAsync(linked.Token).ConfigureAwait(false);
            MqttPacketWriter.Write(connect, connect.ProtocolVersion, stream.Output);
            await stream.Output.FlushAsync(linked.Token).ConfigureAwait(false);
            var connAck = await ReadConnAckAsync(stream, connect.ProtocolVersion, linked.Token).ConfigureAwait(false);
            if (connAck.ReasonCode != MqttReasonCode.Success)
                throw new MqttConnectionException(MqttDisconnectReason.ConnectRefused, DescribeRefusal(connAck, connect.ProtocolVersion), connAck.ReasonCode);
            var connection = new MqttConnection(stream, settings, connect, connAck);
            stream = null;
            connection.Start();
            return connection;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new MqttConnectionException(MqttDisconnectReason.ConnectTimeout, $"no CONNACK within {settings.ConnectTimeout.TotalSeconds:0.#} s");
        }
        catch (MqttProtocolException e)
        {
            throw new MqttConnectionException(MqttDisconnectReason.ProtocolError, "invalid answer to CONNECT: " + e.Message, innerException: e);
        }
        catch (Exception e) when (e is not (MqttConnectionException or OperationCanceledException))
        {
            throw new MqttConnectionException(MqttDisconnectReason.TransportError, e.Message, innerException: e);
        }
        finally
        {
            if (stream is not null) await stream.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Sends a QoS 1 PUBLISH; the task completes with the broker's PUBACK or faults when the connection ends.</summary>
    public Task<PubAckPacket> PublishAtLeastOnce(PublishPacket packet)
    {
        var ack = _acks.Register(MqttPacketType.PubAck, packet.PacketId);
        _outbound.Writer.TryWrite(packet);  // fails only while closing, and then FailAll fails the ack
        return Cast<PubAckPacket>(ack);
    }

    /// <summary>Queues a QoS 0 PUBLISH; false when the connection is already closing.</summary>
    public bool PublishAtMostOnce(PublishPacket packet) => IsOpen && _outbound.Writer.TryWrite(packet);

    public async Task<SubAckPacket> SubscribeAsync(IReadOnlyList<MqttSubscription> subscriptions, CancellationToken cancellationToken)
    {
        ushort id = _settings.PacketIds.Allocate();
        var ack = ReleaseIdWhenDone(_acks.Register(MqttPacketType.SubAck, id), id);
        _outbound.Writer.TryWrite(new SubscribePacket { PacketId = id, Subscriptions = subscriptions });
        return (SubAckPacket)await ack.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<UnsubAckPacket> UnsubscribeAsync(IReadOnlyList<string> topicFilters, CancellationToken cancellationToken)
    {
        ushort id = _settings.PacketIds.Allocate();
        var ack = ReleaseIdWhenDone(_acks.Register(MqttPacketType.UnsubAck, id), id);
        _outbound.Writer.TryWrite(new UnsubscribePacket { PacketId = id, TopicFilters = topicFilters });
        return (UnsubAckPacket)await ack.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends DISCONNECT (with the reason on v5) and closes; returns when the transport is released.</summary>
    public Task DisconnectAsync(MqttReasonCode reason = MqttReasonCode.Success)
    {
        Close(new MqttConnectionException(MqttDisconnectReason.ClientDisconnect, $"closed by this client ({reason.Describe()})", reason), reason);
        return Completion;
    }

    public async ValueTask DisposeAsync() => await DisconnectAsync().ConfigureAwait(false);

    private void Start()
    {
        _readLoop = Task.Run(ReadLoopAsync);
        _writeLoop = Task.Run(WriteLoopAsync);
        // §3.1.2.10: keep alive 0 switches the mechanism off.
        if (_keepAliveTicks > 0)
            lock (_timerGate) _keepAliveTimer = _time.CreateTimer(static s => ((MqttConnection)s!).OnKeepAliveTimer(), this, KeepAlive, Timeout.InfiniteTimeSpan);
        MqttConnectionLog.Opened(_settings.Logger, RemoteEndPoint, (int)ProtocolVersion, KeepAlive, ReceiveMaximum, MaximumPacketSize);
    }

    private async Task ReadLoopAsync()
    {
        var input = _transport.Input;
        var token = _cts.Token;
        try
        {
            while (true)
            {
                var result = await input.ReadAsync(token).ConfigureAwait(false);
                var buffer = result.Buffer;
                try
                {
                    while (MqttPacketReader.TryRead(ref buffer, ProtocolVersion, out var packet))
                    {
                        Volatile.Write(ref _lastReceived, _time.GetTimestamp());
                        await DispatchAsync(packet, token).ConfigureAwait(false);
                    }
                }
                finally
                {
                    input.AdvanceTo(buffer.Start, buffer.End);
                }
                if (result.IsCompleted || result.IsCanceled)
                {
                    Close(new MqttConnectionException(MqttDisconnectReason.ClosedByPeer, "the broker closed the connection"));
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested) { }
        catch (MqttProtocolException e)
        {
            // MQTT 5.0 §4.13.1: on a Malformed Packet or Protocol Error the client MAY send DISCONNECT with that code, then closes.
            Close(new MqttConnectionException(MqttDisconnectReason.ProtocolError, e.Message, e.ReasonCode, e), e.ReasonCode);
        }
        catch (Exception e)
        {
            Close(new MqttConnectionException(MqttDisconnectReason.TransportError, e.Message, innerException: e));
        }
    }

    private async Task WriteLoopAsync()
    {
        var output = _transport.Output;
        var reader = _outbound.Reader;
        var token = _cts.Token;
        try
        {
            while (await reader.WaitToReadAsync(token).ConfigureAwait(false))
            {
                // Write everything queued, then flush once: one syscall for a burst of publishes.
                while (reader.TryRead(out var packet)) MqttPacketWriter.Write(packet, ProtocolVersion, output);
                Volatile.Write(ref _lastSent, _time.GetTimestamp());
                var flush = await output.FlushAsync(token).ConfigureAwait(false);
                if (flush.IsCompleted)
                {
                    Close(new MqttConnectionException(MqttDisconnectReason.ClosedByPeer, "the broker stopped reading"));
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested) { }
        catch (Exception e)
        {
            Close(new MqttConnectionException(MqttDisconnectReason.TransportError, e.Message, innerException: e));
        }
    }

    private async ValueTask DispatchAsync(MqttPacket packet, CancellationToken token)
    {
        switch (packet)
        {
            case PublishPacket publish:
                await OnPublishAsync(publish, token).ConfigureAwait(false);
                break;
            case PubAckPacket ack: Complete(MqttPacketType.PubAck, ack.PacketId, ack); break;
            case SubAckPacket ack: Complete(MqttPacketType.SubAck, ack.PacketId, ack); break;
            case UnsubAckPacket ack: Complete(MqttPacketType.UnsubAck, ack.PacketId, ack); break;
            case PingRespPacket: _pingOutstanding = false; break;
            case DisconnectPacket disconnect when ProtocolVersion == MqttProtocolVersion.V500:
                // MQTT 5.0 §3.14: the server may end the session with a reason (e.g. 0x8E taken over, 0x97 quota).
                string why = disconnect.Properties.ReasonString is { } text ? $" \"{text}\"" : "";
                Close(new MqttConnectionException(MqttDisconnectReason.ServerDisconnect,
                    $"the broker sent DISCONNECT {disconnect.ReasonCode.Describe()}{why}", disconnect.ReasonCode));
                break;
            default:
                // §3.2 (a second CONNACK), §3.14 (DISCONNECT from a 3.1.1 server), client-to-server packets.
                throw new MqttProtocolException($"the broker must not send {packet.Type} here", MqttReasonCode.ProtocolError);
        }
    }

    private async ValueTask OnPublishAsync(PublishPacket publish, CancellationToken token)
    {
        // This client subscribes with QoS ≤ 1, so QoS 2 exceeds any granted QoS (MQTT 5.0 §3.8.4).
        if (publish.QoS == MqttQualityOfService.ExactlyOnce)
            throw new MqttProtocolException("QoS 2 PUBLISH received although no subscription grants QoS 2", MqttReasonCode.QoSNotSupported);
        // We send no Topic Alias Maximum, so it is 0 and the server MUST NOT send aliases (§3.1.2.11.5).
        if (publish.Properties.TopicAlias is not null)
            throw new MqttProtocolException("Topic Alias received although this client allows none (MQTT 5.0 §3.1.2.11.5)", MqttReasonCode.TopicAliasInvalid);
        _deliveryBlocked = true;
        try
        {
            await _settings.OnPublish(publish, token).ConfigureAwait(false);
        }
        finally
        {
            _deliveryBlocked = false;
        }
        // §4.3.2: PUBACK after taking ownership of the message (it is in the inbound queue now).
        if (publish.QoS == MqttQualityOfService.AtLeastOnce)
            _outbound.Writer.TryWrite(new PubAckPacket { PacketId = publish.PacketId });
    }

    private void Complete(MqttPacketType type, ushort id, MqttPacket packet)
    {
        if (!_acks.TryComplete(type, id, packet)) MqttConnectionLog.UnknownAck(_settings.Logger, type, id);
    }

    /// <summary>
    /// Keep alive (MQTT 5.0 §3.1.2.10, 3.1.1 §3.1.2.10): PINGREQ when nothing was sent for a whole
    /// keep-alive period (our obligation), or nothing was received for one (to prove the link);
    /// the link is dead when nothing at all arrived for 1.5 × keep alive. The timer is re-armed for
    /// the next deadline from timestamps, so traffic does not touch the timer.
    /// </summary>
    private void OnKeepAliveTimer()
    {
        if (!IsOpen) return;
        long now = _time.GetTimestamp();
        long lastReceived = Volatile.Read(ref _lastReceived);
        long deadAt = lastReceived + _keepAliveTicks * 3 / 2;
        if (now >= deadAt && !_deliveryBlocked)
        {
            Close(new MqttConnectionException(MqttDisconnectReason.KeepAliveTimeout,
                $"nothing received from the broker for {KeepAlive.TotalSeconds * 1.5:0.#} s (1.5 × keep alive)", MqttReasonCode.KeepAliveTimeout));
            return;
        }
        long pingAt = Volatile.Read(ref _lastSent) + _keepAliveTicks;
        if (!_pingOutstanding) pingAt = Math.Min(pingAt, lastReceived + _keepAliveTicks);
        if (now >= pingAt)
        {
            _pingOutstanding = true;
            Volatile.Write(ref _lastSent, now);
            _outbound.Writer.TryWrite(PingReqPacket.Instance);
            MqttConnectionLog.PingSent(_settings.Logger);
            pingAt = now + _keepAliveTicks;
        }
        // While the reader is held up by a slow consumer the link is evidently delivering; look again later.
        long next = Math.Max(Math.Min(pingAt, now >= deadAt ? now + _keepAliveTicks / 2 : deadAt), now + 1);
        lock (_timerGate)
        {
            if (IsOpen) _keepAliveTimer?.Change(TimeSpan.FromSeconds((double)(next - now) / _time.TimestampFrequency), Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>Ends the connection exactly once; <paramref name="disconnect"/> asks for a DISCONNECT packet first.</summary>
    private void Close(MqttConnectionException reason, MqttReasonCode? disconnect = null)
    {
        if (Interlocked.Exchange(ref _closing, 1) != 0) return;
        lock (_timerGate)
        {
            _keepAliveTimer?.Dispose();
            _keepAliveTimer = null;
        }
        _acks.FailAll(reason);
        // 3.1.1 has no reason codes: only a normal DISCONNECT exists there (§3.14).
        bool sendDisconnect = disconnect is { } code && (ProtocolVersion == MqttProtocolVersion.V500 || code == MqttReasonCode.Success);
        if (sendDisconnect) _outbound.Writer.TryWrite(new DisconnectPacket { ReasonCode = disconnect!.Value });
        _outbound.Writer.TryComplete();
        MqttConnectionLog.Closed(_settings.Logger, RemoteEndPoint, reason.Reason, reason.Message);
        _ = TeardownAsync(reason, sendDisconnect);
    }

    private async Task TeardownAsync(MqttConnectionException reason, bool drainWriter)
    {
        try
        {
            // Give the writer a moment to put the DISCONNECT on the wire; a dead peer must not hold us.
            if (drainWriter) await Task.WhenAny(_writeLoop, Task.Delay(TimeSpan.FromSeconds(2))).ConfigureAwait(false);
            _cts.Cancel();
            try { await Task.WhenAll(_readLoop, _writeLoop).ConfigureAwait(false); } catch (Exception) { /* already reported through Close */ }
            await _transport.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception) { /* releasing a broken transport: the reason below is what matters */ }
        finally
        {
            _cts.Dispose();
            _completion.TrySetResult(reason);
        }
    }

    private static async Task<ConnAckPacket> ReadConnAckAsync(IMqttTransportConnection stream, MqttProtocolVersion version, CancellationToken token)
    {
        while (true)
        {
            var result = await stream.Input.ReadAsync(token).ConfigureAwait(false);
            var buffer = result.Buffer;
            if (MqttPacketReader.TryRead(ref buffer, version, out var packet))
            {
                // Examined = consumed: bytes after the CONNACK (an early PUBLISH) are left for the read loop.
                stream.Input.AdvanceTo(buffer.Start);
                // §3.2: "The first packet sent from the Server to the Client MUST be a CONNACK Packet".
                return packet as ConnAckPacket ?? throw new MqttProtocolException($"expected CONNACK, got {packet.Type} (MQTT 5.0 §3.2)", MqttReasonCode.ProtocolError);
            }
            stream.Input.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
                throw new MqttConnectionException(MqttDisconnectReason.ClosedByPeer, "the broker closed the connection before CONNACK");
        }
    }

    private static string DescribeRefusal(ConnAckPacket connAck, MqttProtocolVersion version)
    {
        string text = $"the broker refused the connection: CONNACK {connAck.ReasonCode.Describe()}";
        if (version == MqttProtocolVersion.V311 && MqttReasonCodes.TryToV311ConnectReturnCode(connAck.ReasonCode, out byte rc))
            text += $" (MQTT 3.1.1 return code {rc})";
        if (connAck.Properties.ReasonString is { } reason) text += $" \"{reason}\"";
        // A 3.1.1-only broker answers a v5 CONNECT with return code 1 (unacceptable protocol level).
        if (version == MqttProtocolVersion.V500 && (byte)connAck.ReasonCode == 1)
            text += " — this looks like an MQTT 3.1.1 broker; set Mqtt:ProtocolVersion to 3.1.1";
        return text;
    }

    private Task<MqttPacket> ReleaseIdWhenDone(Task<MqttPacket> ack, ushort id)
    {
        // The id stays reserved until the ack arrives or the connection fails, even if the caller gave up waiting.
        ack.ContinueWith(static (_, s) => { var (pool, id) = ((MqttPacketIdPool, ushort))s!; pool.Release(id); },
            (_settings.PacketIds, id), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return ack;
    }

    private static async Task<T> Cast<T>(Task<MqttPacket> task) where T : MqttPacket => (T)await task.ConfigureAwait(false);
}
