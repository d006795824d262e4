using Gateway.Mqtt.Client;
using Microsoft.Extensions.Logging;

namespace Gateway.Bridge.Forwarding;

/// <summary>
/// Publishes a packed batch with up to <c>maxInFlightNow()</c> PUBLISHes awaiting PUBACK, and classifies
/// every outcome (aesthetics.md §2.7: append, send, then ack by id; dead-letter explicitly).
/// <list type="bullet">
/// <item>Order: a message is started only when no earlier unresolved message of the batch carries one
/// of its devices. Messages are disjoint by construction except a device's consecutive pieces
/// (<see cref="MessagePacker"/>), so this costs parallelism only for a device bigger than a packet,
/// and it keeps per-device order even when a PUBACK fails or a half is re-sent after a bisect.
/// The client resends unacknowledged publishes in their original order across reconnects.</item>
/// <item>Bad payload (0x99, 0x95): the message is replaced, in place, by its two halves; a single
/// row that still fails is dead-lettered. So exactly the bad rows end up dead-lettered, at the cost
/// of ~log2(n) extra PUBLISHes per bad row; the good rows may reach ThingsBoard twice (at least once).</item>
/// <item>Retryable failure: nothing new is started; in-flight messages finish (they share no device
/// with the failed one); unsent and failed rows are released for the next lease, in order.</item>
/// </list>
/// </summary>
internal sealed class BatchSender(
    Func<MqttMessage, CancellationToken, ValueTask<MqttPublishResult>> publish,
    Func<CancellationToken, Task> waitUntilReady,
    Func<OutgoingMessage, CancellationToken, ValueTask> pace,
    Func<int> maxInFlightNow,
    BridgeStatus status,
    ILogger logger,
    PoisonRowDetector? poison = null)
{
    private static readonly TimeSpan BeatInterval = TimeSpan.FromSeconds(1);

    public async Task<BatchOutcome> SendAsync(IReadOnlyList<OutgoingMessage> messages, TimeProvider time, CancellationToken cancellationToken)
    {
        var outcome = new BatchOutcome();
        // Read once per batch: the session's in-flight limit may change with a new getSessionLimits answer.
        int maxInFlight = maxInFlightNow();
        var queue = new LinkedList<Entry>(messages.Select(m => new Entry(m)));
        var blocked = new HashSet<string>(StringComparer.Ordinal);
        int inFlight = 0;
        bool stopStarting = false;
        Task beat = Task.Delay(BeatInterval, time, cancellationToken);
        try
        {
            while (queue.Count > 0)
            {
                if (!stopStarting && inFlight < maxInFlight)
                {
                    blocked.Clear();
                    for (var node = queue.First; node is not null && inFlight < maxInFlight; node = node.Next)
                    {
                        var entry = node.Value;
                        if (entry.Publish is null && !entry.Message.Devices.Overlaps(blocked))
                        {
                            await waitUntilReady(cancellationToken).ConfigureAwait(false);
                            await pace(entry.Message, cancellationToken).ConfigureAwait(false);
                            entry.Publish = Start(entry.Message, cancellationToken);
                            inFlight++;
                        }
                        blocked.UnionWith(entry.Message.Devices);
                    }
                }
                if (inFlight == 0)
                {
                    // Stopped starting after a retryable failure and nothing is in flight: the rest waits for the next lease.
                    foreach (var entry in queue) outcome.Release.AddRange(entry.Message.Rows);
                    break;
                }

                var started = queue.Where(e => e.Publish is not null).Select(e => (Task)e.Publish!).ToList();
                started.Add(beat);
                await Task.WhenAny(started).ConfigureAwait(false);
                if (beat.IsCompleted)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    status.Beat();
                    beat = Task.Delay(BeatInterval, time, cancellationToken);
                }

                for (var node = queue.First; node is not null;)
                {
                    var next = node.Next;
                    if (node.Value.Publish is { IsCompleted: true } done)
                    {
                        inFlight--;
                        stopStarting |= !Resolve(queue, node, done, outcome);
                    }
                    node = next;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping: whatever is unresolved goes back (in flight ones may still be delivered; at least once).
            foreach (var entry in queue) outcome.Release.AddRange(entry.Message.Rows);
        }
        return outcome;
    }

    private async Task<MqttPublishResult> Start(OutgoingMessage message, CancellationToken cancellationToken)
    {
        status.Published();
        var mqtt = new MqttMessage { Topic = message.Topic, Payload = message.Payload };
        poison?.Started(message);
        bool delivered = false;
        try
        {
            var result = await publish(mqtt, cancellationToken).ConfigureAwait(false);
            delivered = result.IsSuccess;
            return result;
        }
        finally
        {
            poison?.Finished(message, delivered);
        }
    }

    /// <summary>Applies one finished publish; false when it was a retryable failure.</summary>
    private bool Resolve(LinkedList<Entry> queue, LinkedListNode<Entry> node, Task<MqttPublishResult> done, BatchOutcome outcome)
    {
        var message = node.Value.Message;
        if (!done.IsCompletedSuccessfully)
        {
            // The client was stopped or the wait cancelled: nothing is known about delivery.
            queue.Remove(node);
            outcome.Release.AddRange(message.Rows);
            outcome.RetryReason ??= done.Exception?.GetBaseException().Message ?? "publish cancelled";
            status.Retryable();
            return false;
        }
        var result = done.Result;
        var verdict = PublishVerdicts.Of(result);
        if (verdict != PublishVerdict.Delivered) status.PubAckFailed(result.ReasonCode);
        switch (verdict)
        {
            case PublishVerdict.Delivered:
                queue.Remove(node);
                outcome.Delivered.AddRange(message.Rows);
                return true;
            case PublishVerdict.BadPayload when message.Split() is var (first, second):
                BridgeLog.Bisecting(logger, message.Topic, message.RowCount, result.ReasonCode.ToString(), result.ReasonString);
                queue.AddBefore(node, new Entry(first));
                queue.AddBefore(node, new Entry(second));
                queue.Remove(node);
                return true;
            case PublishVerdict.BadPayload or PublishVerdict.BadTopic:
                queue.Remove(node);
                var reason = $"{(result.FromBroker ? "broker" : "client")} refused: {result.ReasonCode} (0x{(byte)result.ReasonCode:X2}) {result.ReasonString}".TrimEnd();
                foreach (var row in message.Rows) outcome.DeadLetters.Add((row, reason));
                return true;
            default:
                queue.Remove(node);
                outcome.Release.AddRange(message.Rows);
                outcome.RetryReason ??= $"{result.ReasonCode} (0x{(byte)result.ReasonCode:X2}) {result.ReasonString}".TrimEnd();
                status.Retryable();
                return false;
        }
    }

    private sealed class Entry(OutgoingMessage message)
    {
        public OutgoingMessage Message { get; } = message;
        public Task<MqttPublishResult>? Publish { get; set; }
    }
}
