using Gateway.Bridge.Devices;
using Gateway.Bridge.Downlinks;
using Gateway.Bridge.Limits;
using Gateway.Mqtt.Client;
using Gateway.Storage.Outbox;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Bridge.Forwarding;

/// <summary>
/// The one loop between the outbox and the cloud (aesthetics.md §2.7, DESIGN.md "Data flow"): lease a
/// batch in id order, pack it (<see cref="MessagePacker"/>), publish it QoS 1 with several in flight
/// (<see cref="BatchSender"/>), then ack the delivered rows by id, dead-letter the rejected ones and
/// release the rest. Rows are deleted only after a PUBACK below 0x80 (thingsboard.md §4.4, §5.3:
/// the Python gateway's unverified "sent" is what loses data after a link drop).
/// <para>
/// It leases only while the link is up and after every (re)connect first announces all active
/// devices (§4.5). The publishes the client still held when the link dropped are resent by the
/// client first, in their original order (MQTT §4.6), then the announcement, then new data; the
/// resent ones are harmless before the connect because any data implicitly connects a device (§4.3).
/// Except when <see cref="PoisonRowDetector"/> suspects a row the broker closes the connection on: then
/// the batch is withdrawn at the loss (its rows released, leased again in id order) and rows go one
/// at a time until the suspect is delivered or dead-lettered.
/// It never ends except on stop: failures are logged, counted in <see cref="BridgeStatus"/>, and
/// retried with backoff; <see cref="BridgeStatus.Heartbeat"/> moves at least once a second.
/// </para>
/// </summary>
public sealed class Forwarder
{
    private static readonly TimeSpan BeatInterval = TimeSpan.FromSeconds(1);

    private readonly MqttClient _client;
    private readonly IOutbox _outbox;
    private readonly DeviceTracker _devices;
    private readonly MqttCloudLink? _attributeRequests;
    private readonly BridgeOptions _options;
    private readonly BridgeStatus _status;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly DrainPacer _pacer;
    private readonly SessionPacer _limits;
    private readonly BatchSender _sender;
    private readonly CloudNames _names;
    private readonly PoisonRowDetector _poison;
    private readonly Lock _gate = new();
    private CancellationTokenSource? _batch;
    private TaskCompletionSource _up = NewSignal();
    private int _failures;

    public Forwarder(MqttClient client, IOutbox outbox, DeviceTracker devices, MqttCloudLink? attributeRequests, BridgeOptions options,
        BridgeStatus status, TimeProvider? time = null, ILogger<Forwarder>? logger = null, CloudNames? names = null, SessionPacer? limits = null)
    {
        _names = names ?? new CloudNames();
        _client = client;
        _outbox = outbox;
        _devices = devices;
        _attributeRequests = attributeRequests;
        _options = options;
        _status = status;
        _time = time ?? TimeProvider.System;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _pacer = new DrainPacer(options.DrainRowsPerSecond, options.DrainMessagesPerSecond, _time);
        _poison = new PoisonRowDetector(options.PoisonRowLosses, TimeSpan.FromSeconds(options.PoisonRowWindowSeconds), _time);
        _limits = limits ?? new SessionPacer(_time);
        _sender = new BatchSender(PublishAsync, WaitUntilReadyAsync, PaceAsync, MaxInFlight, status, _logger, _poison);
        client.ConnectionStateChanged += OnConnectionStateChanged;
    }

    /// <summary>Time the drain pacing has made the forwarder wait so far.</summary>
    public TimeSpan PacingWait => _pacer.Waited;

    /// <summary>Runs until <paramref name="stop"/>; never returns early, never throws except for the stop.</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            _status.Beat();
            try
            {
                await TurnAsync(stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                // Never die silently (thingsboard.md §5.5 #2086): storage or anything else failing is logged and retried.
                var delay = NextBackoff();
                _status.Error(e.Message);
                BridgeLog.ForwarderFailed(_logger, e, delay);
                await DelayAsync(delay, stop).ConfigureAwait(false);
            }
        }
    }

    private async Task TurnAsync(CancellationToken stop)
    {
        await WaitUntilReadyAsync(stop).ConfigureAwait(false);
        await DisconnectGoneDevicesAsync(stop).ConfigureAwait(false);

        // A suspect is tested alone: one row per batch, so a connection loss names it (PoisonRowDetector).
        int leaseSize = _limits.RowsPerLease is > 0 and var capped ? Math.Min(capped, _options.BatchSize) : _options.BatchSize;
        var rows = await _outbox.LeaseAsync(_poison.Isolating ? 1 : leaseSize, TimeSpan.FromSeconds(_options.LeaseSeconds), stop).ConfigureAwait(false);
        if (rows.Count == 0)
        {
            await DelayAsync(TimeSpan.FromMilliseconds(_options.IdlePollMilliseconds), stop).ConfigureAwait(false);
            return;
        }

        rows = await SkipRedundantConnectsAsync(rows).ConfigureAwait(false);
        if (rows.Count == 0) return;

        var packer = new MessagePacker(PacketLimit(), _options.SuspectAfterAttempts, _names.CloudName, _limits.Limits.MaxPayloadSize);
        var packed = packer.Pack(rows);
        if (packed.Invalid.Count + packed.TooLarge.Count > 0)
        {
            _status.Invalid(packed.Invalid.Count + packed.TooLarge.Count);
            await DeadLetterAsync(packed.Invalid, DeadLetterCause.Invalid, stop).ConfigureAwait(false);
            await DeadLetterAsync(packed.TooLarge, DeadLetterCause.TooLarge, stop).ConfigureAwait(false);
        }
        if (_attributeRequests is not null)
            foreach (var row in packed.Messages.SelectMany(m => m.Rows).Where(r => r.Message.Kind == OutboxMessageKind.AttributeRequest))
                _attributeRequests.RememberOutboxRequest(row);

        BatchOutcome outcome;
        bool withdrawn;
        using (var batch = CancellationTokenSource.CreateLinkedTokenSource(stop))
        {
            lock (_gate) _batch = batch;
            try
            {
                outcome = await _sender.SendAsync(packed.Messages, _time, batch.Token).ConfigureAwait(false);
            }
            finally
            {
                lock (_gate) _batch = null;
            }
            withdrawn = batch.IsCancellationRequested && !stop.IsCancellationRequested;
        }
        var condemned = _poison.TakeCondemned();
        if (condemned.Count > 0)
        {
            var reason = $"sent alone, in flight at {_options.PoisonRowLosses} consecutive losses of an established MQTT connection within {_options.PoisonRowWindowSeconds} s of its send: the broker closes the connection on it";
            var killers = outcome.Release.Where(r => condemned.Contains(r.Id)).Select(r => (r, reason)).ToList();
            outcome.Release.RemoveAll(r => condemned.Contains(r.Id));
            await DeadLetterAsync(killers, DeadLetterCause.KillsConnection, CancellationToken.None).ConfigureAwait(false);
        }

        // Acks first: a crash between here and the release only costs a lease expiry, never a resend of delivered rows.
        if (outcome.Delivered.Count > 0)
        {
            await _outbox.AckAsync(outcome.Delivered.Select(r => r.Id).ToList(), CancellationToken.None).ConfigureAwait(false);
            _status.Forwarded(outcome.Delivered.Count);
            foreach (var row in outcome.Delivered) _devices.Observe(row);
        }
        if (outcome.DeadLetters.Count > 0)
            await DeadLetterAsync(outcome.DeadLetters, DeadLetterCause.Refused, CancellationToken.None).ConfigureAwait(false);
        if (outcome.Release.Count > 0) await _outbox.ReleaseAsync(outcome.Release.Select(r => r.Id).ToList(), CancellationToken.None).ConfigureAwait(false);

        // Withdrawn at a connection loss: the rows were released, the next lease sends them once the link is up again.
        if (withdrawn) return;
        if (outcome.RetryReason is { } retryReason && !stop.IsCancellationRequested)
        {
            var delay = NextBackoff();
            _status.Error(retryReason);
            BridgeLog.RetryLater(_logger, retryReason, outcome.Release.Count, delay);
            await DelayAsync(delay, stop).ConfigureAwait(false);
        }
        else if (outcome.RetryReason is null)
        {
            _failures = 0;
        }
    }

    /// <summary>
    /// A device is announced once per MQTT session: a <c>connect</c> row of a device the cloud already
    /// acknowledged in this session, or a second one of the same device in this batch (several first
    /// requests of a device arriving together each queue one), is acknowledged without a PUBLISH.
    /// </summary>
    private async Task<IReadOnlyList<OutboxEntry>> SkipRedundantConnectsAsync(IReadOnlyList<OutboxEntry> rows)
    {
        HashSet<string>? seen = null;
        List<long>? redundant = null;
        List<OutboxEntry>? kept = null;
        for (int i = 0; i < rows.Count; i++)
        {
            var row = rows[i];
            if (row.Message.Kind == OutboxMessageKind.DeviceConnect)
            {
                seen ??= new HashSet<string>(StringComparer.Ordinal);
                if (_devices.AnnouncedInSession(row.Message.Device) || !seen.Add(row.Message.Device))
                {
                    (redundant ??= []).Add(row.Id);
                    kept ??= rows.Take(i).ToList();
                    continue;
                }
            }
            kept?.Add(row);
        }
        if (redundant is null) return rows;
        await _outbox.AckAsync(redundant, CancellationToken.None).ConfigureAwait(false);
        _status.RedundantConnects(redundant.Count);
        return kept!;
    }

    /// <summary>
    /// Manual pacing (an upper bound the operator set) and then the session's limits (thingsboard.md §4.1):
    /// the PUBLISH waits for both.
    /// </summary>
    private async ValueTask PaceAsync(OutgoingMessage message, CancellationToken cancellationToken)
    {
        await _pacer.WaitAsync(message.RowCount, cancellationToken).ConfigureAwait(false);
        await _limits.WaitAsync(() => message.Entries, cancellationToken, _status.Beat).ConfigureAwait(false);
    }

    /// <summary>Bridge:MaxInFlight, or the session's <c>maxInflightMessages</c> when smaller (§4.1).</summary>
    private int MaxInFlight()
    {
        int session = _limits.Limits.MaxInflightMessages;
        return session > 0 ? Math.Min(session, _options.MaxInFlight) : _options.MaxInFlight;
    }

    /// <summary>The smaller of ThingsBoard's limit (Bridge:MaxPacketBytes) and the broker's Maximum Packet Size.</summary>
    private int PacketLimit()
    {
        int broker = _client.MaximumPacketSize;
        return broker > 0 ? Math.Min(broker, _options.MaxPacketBytes) : _options.MaxPacketBytes;
    }

    private async Task DeadLetterAsync(IReadOnlyList<(OutboxEntry Row, string Reason)> rows, DeadLetterCause cause, CancellationToken cancellationToken)
    {
        foreach (var group in rows.GroupBy(r => r.Reason))
        {
            var ids = group.Select(r => r.Row.Id).ToList();
            await _outbox.DeadLetterAsync(ids, cause, group.Key, cancellationToken).ConfigureAwait(false);
            _status.DeadLettered(cause, ids.Count);
            // Logged once per reason and batch, not per row: a flood of bad rows must not flood the journal.
            var first = group.First().Row;
            BridgeLog.DeadLettered(_logger, ids.Count, first.Id, first.Message.Device, group.Key);
        }
    }

    /// <summary>
    /// Returns once the link is up and every pending announcement has been acknowledged (or refused).
    /// Called before each lease and before each PUBLISH, so new data never overtakes an announcement.
    /// </summary>
    private async Task WaitUntilReadyAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task up;
            lock (_gate) up = _up.Task;
            if (!up.IsCompleted)
            {
                await Task.WhenAny(up, Task.Delay(BeatInterval, _time, cancellationToken)).ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
                _status.Beat();
                continue;
            }
            var announce = _devices.TakeAnnouncements();
            if (announce.Count == 0) return;
            await AnnounceAsync(announce, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task AnnounceAsync(IReadOnlyList<(string Device, string? Type)> devices, CancellationToken cancellationToken)
    {
        // Queued all at once (the client keeps call order on the wire), then awaited together.
        var publishes = new List<(string Device, Task<MqttPublishResult> Result)>(devices.Count);
        foreach (var (device, type) in devices)
        {
            await _pacer.WaitAsync(0, cancellationToken).ConfigureAwait(false);
            await _limits.WaitAsync([new UplinkEntry(device, false, 0)], cancellationToken, _status.Beat).ConfigureAwait(false);
            publishes.Add((device, _client.PublishAsync(DeviceMessages.Connect(_names.CloudName(device), type), cancellationToken).AsTask()));
        }
        int failures = 0;
        foreach (var (device, result) in publishes)
        {
            var r = await AwaitWithHeartbeatAsync(result, cancellationToken).ConfigureAwait(false);
            if (r.IsSuccess)
            {
                _devices.Announced([device]);
                continue;
            }
            failures++;
            _status.PubAckFailed(r.ReasonCode);
            BridgeLog.DeviceMessageRefused(_logger, "connect", device, $"{r.ReasonCode} {r.ReasonString}");
        }
        _status.Announced(devices.Count);
        BridgeLog.Announced(_logger, devices.Count, failures);
    }

    private async Task DisconnectGoneDevicesAsync(CancellationToken cancellationToken)
    {
        var gone = await _devices.SweepAsync(cancellationToken).ConfigureAwait(false);
        foreach (var (device, why) in gone)
        {
            await _limits.WaitAsync([new UplinkEntry(device, false, 0)], cancellationToken, _status.Beat).ConfigureAwait(false);
            var result = await AwaitWithHeartbeatAsync(_client.PublishAsync(DeviceMessages.Disconnect(_names.CloudName(device)), cancellationToken).AsTask(), cancellationToken).ConfigureAwait(false);
            _status.DeviceDisconnected();
            if (result.IsSuccess) BridgeLog.DeviceDisconnected(_logger, device, why);
            else BridgeLog.DeviceMessageRefused(_logger, "disconnect", device, $"{result.ReasonCode} {result.ReasonString}");
        }
    }

    private async Task<T> AwaitWithHeartbeatAsync<T>(Task<T> task, CancellationToken cancellationToken)
    {
        while (!task.IsCompleted)
        {
            await Task.WhenAny(task, Task.Delay(BeatInterval, _time, cancellationToken)).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            _status.Beat();
        }
        return await task.ConfigureAwait(false);
    }

    private ValueTask<MqttPublishResult> PublishAsync(MqttMessage message, CancellationToken cancellationToken) =>
        _client.PublishAsync(message, cancellationToken);

    private void OnConnectionStateChanged(object? sender, MqttConnectionStateChangedEventArgs e)
    {
        if (e.State == MqttConnectionState.Connected)
        {
            // Announcement first, then "up": the loop must not see the link up without the announcement pending.
            _devices.RequestAnnouncement();
            _poison.Connected();
            _status.SetConnected(true, e.IsReconnect);
            lock (_gate) _up.TrySetResult();
            BridgeLog.LinkUp(_logger, e.ConnectCount, _devices.ActiveCount);
            return;
        }
        bool wasUp;
        lock (_gate)
        {
            wasUp = _up.Task.IsCompleted;
            if (wasUp) _up = NewSignal();
        }
        _status.SetConnected(false, false);
        if (_poison.ConnectionLost())
        {
            // Asynchronous: cancelling runs the publishes' continuations, which must not run on the client's state-change thread.
            CancellationTokenSource? batch;
            lock (_gate) batch = _batch;
            try { _ = batch?.CancelAsync(); } catch (ObjectDisposedException) { /* the batch just ended */ }
            BridgeLog.SuspectWithdrawn(_logger);
        }
        if (wasUp) BridgeLog.LinkDown(_logger, e.Error?.Message ?? e.State.ToString());
    }

    private TimeSpan NextBackoff()
    {
        double seconds = Math.Min(_options.RetryMaxSeconds, _options.RetryMinSeconds * Math.Pow(2, Math.Min(_failures++, 30)));
        return TimeSpan.FromSeconds(seconds);
    }

    private async Task DelayAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        // In slices, so the heartbeat keeps moving through long backoffs.
        var until = _time.GetTimestamp() + (long)(delay.TotalSeconds * _time.TimestampFrequency);
        while (true)
        {
            var left = _time.GetElapsedTime(_time.GetTimestamp(), until);
            if (left <= TimeSpan.Zero) return;
            await Task.Delay(left < BeatInterval ? left : BeatInterval, _time, cancellationToken).ConfigureAwait(false);
            _status.Beat();
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
