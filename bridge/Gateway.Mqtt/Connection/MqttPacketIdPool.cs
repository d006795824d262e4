namespace Gateway.Mqtt.Connection;

/// <summary>
/// Packet identifiers 1..65535 (MQTT 5.0 §2.2.1: non-zero, unused while the exchange is in
/// flight). One pool is shared by PUBLISH, SUBSCRIBE and UNSUBSCRIBE because §2.2.1 requires an id
/// not "currently in use" by any of them. It outlives connections: unacknowledged QoS 1 publishes
/// keep their id across a reconnect.
/// </summary>
public sealed class MqttPacketIdPool
{
    private readonly object _gate = new();
    private readonly ulong[] _inUse = new ulong[1024];  // 65,536 bits
    private int _next = 1;

    public int InUse { get; private set; }

    /// <summary>The next free id after the last one handed out (round robin, so ids are not reused at once).</summary>
    /// <exception cref="InvalidOperationException">All 65,535 ids are in use.</exception>
    public ushort Allocate()
    {
        lock (_gate)
        {
            for (int tried = 0; tried < ushort.MaxValue; tried++)
            {
                int id = _next;
                _next = id == ushort.MaxValue ? 1 : id + 1;
                ref ulong word = ref _inUse[id >> 6];
                ulong bit = 1UL << (id & 63);
                if ((word & bit) != 0) continue;
                word |= bit;
                InUse++;
                return (ushort)id;
            }
        }
        throw new InvalidOperationException("all 65,535 MQTT packet identifiers are in use");
    }

    public void Release(ushort id)
    {
        lock (_gate)
        {
            ref ulong word = ref _inUse[id >> 6];
            ulong bit = 1UL << (id & 63);
            if ((word & bit) == 0) return;
            word &= ~bit;
            InUse--;
        }
    }
}
