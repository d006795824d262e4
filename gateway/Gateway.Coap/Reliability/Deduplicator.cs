using Gateway.Coap.Transport;

namespace Gateway.Coap.Reliability;

/// <summary>
/// Message deduplication by (peer, Message ID) for EXCHANGE_LIFETIME (CON) or NON_LIFETIME (NON),
/// RFC 7252 §4.5, with the response cached for replay. Bounded: a ring of slots in arrival (hence
/// age) order plus an index; when full the oldest entry is evicted and counted. Responses up to
/// the inline size live in a preallocated slab, so steady state allocates nothing. An entry marked
/// repeatable keeps no response: its duplicates are processed again (§4.5 allows that for idempotent
/// requests when repeating is cheaper than keeping the response).
/// Not thread-safe: the owning endpoint serialises access.
/// </summary>
internal sealed class Deduplicator
{
    private readonly Slot[] _slots;
    private readonly Dictionary<Key, int> _index;
    private readonly byte[] _slab;
    private readonly int _inlineBytes;
    private int _head, _count;

    public Deduplicator(int capacity, int inlineBytes)
    {
        _slots = new Slot[capacity];
        _index = new Dictionary<Key, int>(capacity);
        _slab = new byte[checked(capacity * inlineBytes)];
        _inlineBytes = inlineBytes;
    }

    public int Count => _count;

    /// <summary>Entries evicted before their lifetime ended because the table was full.</summary>
    public long EvictedEarly { get; private set; }

    /// <summary>
    /// New: run it. Repeat: a duplicate of a repeatable entry, to be run again. InProgress, Done: a duplicate
    /// to ignore, or to answer with the cached response.
    /// </summary>
    public enum Lookup { New, Repeat, InProgress, Done }

    /// <summary>
    /// Looks the message up; a new one is recorded as in progress and its handle returned.
    /// For a completed duplicate, <paramref name="cachedResponse"/> is what to send again (may be empty).
    /// </summary>
    /// <remarks>
    /// <paramref name="variant"/> separates requests that reuse one Message ID for different blocks
    /// (the block options; 0 for none): some real clients do that (peers.md §A.2), and a retransmission
    /// carries the same block option, so it still matches.
    /// </remarks>
    public Lookup CheckAndAdd(PeerAddress peer, ushort messageId, ulong variant, long now, long lifetime, out Handle handle, out ReadOnlySpan<byte> cachedResponse)
    {
        Expire(now);
        var key = new Key(peer, messageId, variant);
        cachedResponse = default;
        if (_index.TryGetValue(key, out int existing))
        {
            ref var slot = ref _slots[existing];
            if (slot.Repeatable)
            {
                // Processed again from scratch: in progress once more, under a handle the first run cannot complete.
                slot.Repeatable = slot.Done = false;
                slot.Generation++;
                handle = new Handle(existing, slot.Generation);
                return Lookup.Repeat;
            }
            handle = new Handle(existing, slot.Generation);
            cachedResponse = Response(existing);
            return slot.Done ? Lookup.Done : Lookup.InProgress;
        }

        if (_count == _slots.Length)
        {
            EvictedEarly++;
            RemoveHead();
        }
        int index = (_head + _count) % _slots.Length;
        ref var fresh = ref _slots[index];
        fresh.Key = key;
        fresh.Expires = now + lifetime;
        fresh.Generation++;
        fresh.Done = false;
        fresh.Repeatable = false;
        fresh.Length = 0;
        fresh.Overflow = null;
        _index[key] = index;
        _count++;
        handle = new Handle(index, fresh.Generation);
        return Lookup.New;
    }

    /// <summary>Stores the response to replay for duplicates; a no-op if the entry was evicted meanwhile.</summary>
    public void SetResponse(Handle handle, ReadOnlySpan<byte> response, bool done)
    {
        ref var slot = ref _slots[handle.Index];
        if (slot.Generation != handle.Generation || !_index.ContainsKey(slot.Key)) return;
        slot.Done = done;
        slot.Repeatable = false;
        if (response.Length <= _inlineBytes)
        {
            response.CopyTo(_slab.AsSpan(handle.Index * _inlineBytes));
            slot.Length = response.Length;
            slot.Overflow = null;
        }
        else
        {
            slot.Overflow = response.ToArray();
            slot.Length = response.Length;
        }
    }

    /// <summary>Completes the entry without keeping its response: a duplicate is handled as a new request.</summary>
    public void SetRepeatable(Handle handle)
    {
        ref var slot = ref _slots[handle.Index];
        if (slot.Generation != handle.Generation || !_index.ContainsKey(slot.Key)) return;
        slot.Done = slot.Repeatable = true;
        slot.Length = 0;
        slot.Overflow = null;
    }

    private ReadOnlySpan<byte> Response(int index)
    {
        ref var slot = ref _slots[index];
        return slot.Overflow ?? _slab.AsSpan(index * _inlineBytes, slot.Length);
    }

    private void Expire(long now)
    {
        while (_count > 0 && _slots[_head].Expires <= now) RemoveHead();
    }

    private void RemoveHead()
    {
        ref var slot = ref _slots[_head];
        _index.Remove(slot.Key);
        slot.Overflow = null;
        _head = (_head + 1) % _slots.Length;
        _count--;
    }

    public readonly record struct Handle(int Index, int Generation);

    private readonly record struct Key(PeerAddress Peer, ushort MessageId, ulong Variant);

    private struct Slot
    {
        public Key Key;
        public long Expires;
        public int Generation;
        public int Length;
        public bool Done;
        public bool Repeatable;
        public byte[]? Overflow;
    }
}
