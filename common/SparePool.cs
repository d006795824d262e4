using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;

namespace Gateway.Common;

/// <summary>
/// Objects kept for reuse between the thread that gives one back and the thread that takes one (a receive thread takes;
/// the thread completing an exchange, or the outbox's writer, gives back). Bounded: what does not fit is left to the
/// collector. Taking and giving back allocate nothing once the queue has grown to its working size (a ring that is
/// never full). One source compiled into Gateway.Coap and Gateway.Storage, which reference no project (each its own
/// internal copy of the type).
/// </summary>
internal sealed class SparePool<T>(int capacity)
{
    private readonly ConcurrentQueue<T> _spare = new();
    private int _count;

    /// <summary>Spares kept now.</summary>
    public int Count => Volatile.Read(ref _count);

    public bool TryTake([MaybeNullWhen(false)] out T item)
    {
        if (!_spare.TryDequeue(out item)) return false;
        Interlocked.Decrement(ref _count);
        return true;
    }

    /// <summary>Keeps <paramref name="item"/> unless <c>capacity</c> spares are kept already.</summary>
    public void Return(T item)
    {
        if (Interlocked.Increment(ref _count) > capacity)
        {
            Interlocked.Decrement(ref _count);
            return;
        }
        _spare.Enqueue(item);
    }
}
