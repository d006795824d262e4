using Gateway.Mqtt.Packets;
using Gateway.Mqtt.Protocol;

namespace Gateway.Mqtt.Connection;

/// <summary>
/// Request/response correlation for one connection: waiters keyed by (expected packet type,
/// packet id). <see cref="FailAll"/> on disconnect so no caller is left hanging; after that every
/// registration fails immediately.
/// </summary>
internal sealed class MqttAckTable
{
    private readonly object _gate = new();
    private readonly Dictionary<(MqttPacketType, ushort), TaskCompletionSource<MqttPacket>> _waiters = [];
    private Exception? _failure;

    public Task<MqttPacket> Register(MqttPacketType type, ushort packetId)
    {
        lock (_gate)
        {
            if (_failure is not null) return Task.FromException<MqttPacket>(_failure);
            // Continuations run off the reader loop, so a slow caller never stalls reading.
            var tcs = new TaskCompletionSource<MqttPacket>(TaskCreationOptions.RunContinuationsAsynchronously);
            if (!_waiters.TryAdd((type, packetId), tcs))
                throw new InvalidOperationException($"{type} for packet id {packetId} is already awaited");
            return tcs.Task;
        }
    }

    public bool TryComplete(MqttPacketType type, ushort packetId, MqttPacket packet)
    {
        TaskCompletionSource<MqttPacket>? tcs;
        lock (_gate)
        {
            if (!_waiters.Remove((type, packetId), out tcs)) return false;
        }
        tcs.TrySetResult(packet);
        return true;
    }

    public void FailAll(Exception failure)
    {
        List<TaskCompletionSource<MqttPacket>> waiters;
        lock (_gate)
        {
            _failure ??= failure;
            waiters = [.. _waiters.Values];
            _waiters.Clear();
        }
        foreach (var tcs in waiters) tcs.TrySetException(failure);
    }
}
