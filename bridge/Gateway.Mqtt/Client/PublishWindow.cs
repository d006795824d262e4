using Gateway.Mqtt.Connection;
using Gateway.Mqtt.Packets;
using Gateway.Mqtt.Protocol;
using Microsoft.Extensions.Logging;

namespace Gateway.Mqtt.Client;

/// <summary>
/// The ordered QoS 1 publishes of one client: accepted in call order, put on the wire in that
/// order while fewer than <see cref="Size"/> are unacknowledged (min(MaxInflight, the broker's
/// Receive Maximum), MQTT 5.0 §4.9), resent with DUP after a reconnect, completed by their PUBACK.
/// The supervisor (<see cref="MqttClient"/>) decides when a connection is attached; this class only
/// keeps the window. Guarded by the client's gate: every member but the counters and the ack
/// continuation is called under it.
/// </summary>
internal sealed class PublishWindow(int initialSize, MqttPacketIdPool packetIds, object gate, ILogger logger)
{
    private readonly LinkedList<PendingPublish> _pending = new();
    private LinkedListNode<PendingPublish>? _nextToSend;
    private MqttConnection? _connection;
    private int _onWire;
    private long _sent, _resent, _acknowledged, _failures;

    public int Size { get; private set; } = initialSize;

    /// <summary>The broker's Maximum Packet Size from the last CONNACK (0 = no limit announced).</summary>
    public int MaximumPacketSize { get; private set; }

    public int Count => _pending.Count;

    public long Sent => Interlocked.Read(ref _sent);
    public long Resent => Interlocked.Read(ref _resent);
    public long Acknowledged => Interlocked.Read(ref _acknowledged);
    public long Failures => Interlocked.Read(ref _failures);

    public void CountAtMostOnce() => Interlocked.Increment(ref _sent);

    /// <summary>
    /// Accepts a publish. The packet id is taken when it first goes on the wire (<see cref="Pump"/>),
    /// so a long queue never exhausts the 65,535 ids; only the window holds them.
    /// </summary>
    public LinkedListNode<PendingPublish> Enqueue(PublishPacket packet)
    {
        var node = _pending.AddLast(new PendingPublish(packet));
        _nextToSend ??= node;
        Pump();
        return node;
    }

    /// <summary>A cancelled publish that never reached the wire is withdrawn; one already sent stays in flight.</summary>
    public void WithdrawUnsent(LinkedListNode<PendingPublish> node)
    {
        lock (gate)
        {
            if (node.List is null || node.Value.EverSent) return;
            if (_nextToSend == node) _nextToSend = node.Next;
            _pending.Remove(node);
        }
        node.Value.Result.TrySetCanceled();
    }

    /// <summary>A new connection: everything unacknowledged goes out again, oldest first.</summary>
    public void Attach(MqttConnection connection, int size, int maximumPacketSize)
    {
        _connection = connection;
        Size = size;
        MaximumPacketSize = maximumPacketSize;
        _onWire = 0;
        _nextToSend = _pending.First;
        Pump();
    }

    /// <summary>The connection died: nothing is on the wire any more; every pending publish waits for the next one.</summary>
    public void Detach()
    {
        _connection = null;
        _onWire = 0;
        foreach (var p in _pending) p.SentOn = null;
        _nextToSend = _pending.First;
    }

    /// <summary>The client stops: hands back every pending publish for its caller to fail.</summary>
    public List<PendingPublish> Abandon()
    {
        List<PendingPublish> abandoned = [.. _pending];
        _pending.Clear();
        _nextToSend = null;
        _connection = null;
        return abandoned;
    }

    /// <summary>Sends unsent publishes, oldest first, while the window has room; it only queues packets on the connection's writer.</summary>
    private void Pump()
    {
        var connection = _connection;
        if (connection is null) return;
        while (_nextToSend is { } node && _onWire < Size)
        {
            _nextToSend = node.Next;
            var pending = node.Value;
            if (pending.Packet.PacketId == 0) pending.Packet = pending.Packet with { PacketId = packetIds.Allocate() };
            // MQTT 5.0 §3.2.2.3.6: never send a packet above the broker's Maximum Packet Size.
            if (MaximumPacketSize > 0 && MqttPacketWriter.GetSize(pending.Packet, connection.ProtocolVersion) > MaximumPacketSize)
            {
                Finish(node, MqttPublishResult.Local(MqttReasonCode.PacketTooLarge, $"larger than the broker's maximum packet size {MaximumPacketSize}"));
                continue;
            }
            // MQTT 5.0 §4.4 / 3.1.1 §4.4: a resent PUBLISH keeps its packet id and sets DUP (§3.3.1.1).
            var packet = pending.EverSent ? pending.Packet with { Dup = true } : pending.Packet;
            if (pending.EverSent) Interlocked.Increment(ref _resent); else Interlocked.Increment(ref _sent);
            pending.EverSent = true;
            pending.SentOn = connection;
            _onWire++;
            var ack = connection.PublishAtLeastOnce(packet);
            ack.ContinueWith(static (t, s) => { var (window, node, conn) = ((PublishWindow, LinkedListNode<PendingPublish>, MqttConnection))s!; window.OnAck(node, conn, t); },
                (this, node, connection), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    private void OnAck(LinkedListNode<PendingPublish> node, MqttConnection connection, Task<PubAckPacket> ack)
    {
        // A failed ack means the connection died: the publish stays pending and is resent later.
        if (!ack.IsCompletedSuccessfully) return;
        var pubAck = ack.Result;
        lock (gate)
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

    /// <summary>Removes a publish from the window and completes its caller.</summary>
    private void Finish(LinkedListNode<PendingPublish> node, MqttPublishResult result)
    {
        if (_nextToSend == node) _nextToSend = node.Next;
        _pending.Remove(node);
        if (node.Value.Packet.PacketId != 0) packetIds.Release(node.Value.Packet.PacketId);
        if (result.IsSuccess) Interlocked.Increment(ref _acknowledged);
        else
        {
            Interlocked.Increment(ref _failures);
            MqttClientLog.PublishRejected(logger, node.Value.Packet.Topic, result.ReasonCode.Describe(), result.ReasonString);
        }
        node.Value.Result.TrySetResult(result);
    }
}
