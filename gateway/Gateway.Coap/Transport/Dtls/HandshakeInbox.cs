namespace Gateway.Coap.Transport.Dtls;

/// <summary>
/// The datagrams a receive thread hands to one handshake in progress, taken by the handshake's own thread. Bounded: a
/// full inbox refuses, as a lost datagram would be, and the peer retransmits its flight (RFC 6347 §4.2.4). Waited on
/// without spinning: the next flight is a round trip away, so the spin phase of a <c>SemaphoreSlim</c> (what
/// <c>BlockingCollection</c> waits with) only burnt CPU — a sixteenth of the handshake threads' samples under a burst.
/// </summary>
internal sealed class HandshakeInbox<T>(int capacity)
{
    private readonly Queue<T> _items = new();
    private bool _completed;

    public bool IsCompleted { get { lock (_items) return _completed; } }

    /// <summary>False when full or completed.</summary>
    public bool TryAdd(T item)
    {
        lock (_items)
        {
            if (_completed || _items.Count >= capacity) return false;
            _items.Enqueue(item);
            Monitor.Pulse(_items); // one taker at most: the handshake's thread
            return true;
        }
    }

    /// <summary>The next item, waiting up to <paramref name="waitMillis"/> (0: not at all); false on timeout, or at once when completed and empty.</summary>
    public bool TryTake(out T item, int waitMillis = 0)
    {
        lock (_items)
        {
            long deadline = Environment.TickCount64 + Math.Max(0, waitMillis);
            while (_items.Count == 0)
            {
                long remaining = deadline - Environment.TickCount64;
                if (_completed || remaining <= 0)
                {
                    item = default!;
                    return false;
                }
                Monitor.Wait(_items, (int)remaining);
            }
            item = _items.Dequeue();
            return true;
        }
    }

    /// <summary>No more items: a waiting taker wakes, and takes what is left before it sees the end.</summary>
    public void CompleteAdding()
    {
        lock (_items)
        {
            _completed = true;
            Monitor.PulseAll(_items);
        }
    }
}
