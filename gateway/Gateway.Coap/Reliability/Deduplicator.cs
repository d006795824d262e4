using System.Numerics;
using Gateway.Coap.Transport;

namespace Gateway.Coap.Reliability;

/// <summary>
/// Message deduplication by (peer, Message ID) for EXCHANGE_LIFETIME (CON) or NON_LIFETIME (NON),
/// RFC 7252 §4.5, with the response cached for replay. Bounded: a ring of slots in arrival (hence
/// age) order plus an index; when full the oldest entry is evicted and counted. Responses up to
/// the inline size live in a preallocated slab, so steady state allocates nothing. The index is an
/// open-addressing table at most half full of (hash, slot number) pairs, hashed with a per-instance
/// random seed (a peer cannot choose Message IDs that collide): one hash per request instead of the
/// four lookups a dictionary took (find, evict, insert, and the check before a response is stored),
/// and probing reads only the index, a quarter of the dictionary's memory, which is what a full
/// table under load misses the cache on; a slot is read only for the key whose hash matched. An entry marked
/// repeatable keeps no response: its duplicates are processed again (§4.5 allows that for idempotent
/// requests when repeating is cheaper than keeping the response).
/// Not thread-safe: the owning endpoint serialises access.
/// </summary>
internal sealed class Deduplicator
{
    private readonly Slot[] _slots;
    private readonly ulong[] _index; // hash << 32 | slot number + 1; 0 = empty
    private readonly int _mask;
    private readonly ulong _seed = (ulong)Random.Shared.NextInt64();
    private readonly byte[] _slab;
    private readonly int _inlineBytes;
    private int _head, _count;

    public Deduplicator(int capacity, int inlineBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        _slots = new Slot[capacity];
        _index = new ulong[(int)BitOperations.RoundUpToPowerOf2((uint)capacity * 2)];
        _mask = _index.Length - 1;
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
        uint hash = Hash(key);
        cachedResponse = default;
        int position = Find(key, hash);
        if (_index[position] != 0)
        {
            int existing = SlotOf(_index[position]);
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
            position = Find(key, hash); // the removal may have moved entries back along the probe sequence
        }
        int index = (_head + _count) % _slots.Length;
        ref var fresh = ref _slots[index];
        fresh.Key = key;
        fresh.Hash = hash;
        fresh.Expires = now + lifetime;
        fresh.Generation++;
        fresh.Done = false;
        fresh.Repeatable = false;
        fresh.Length = 0;
        fresh.Overflow = null;
        _index[position] = (ulong)hash << 32 | (uint)(index + 1);
        _count++;
        handle = new Handle(index, fresh.Generation);
        return Lookup.New;
    }

    /// <summary>Stores the response to replay for duplicates; a no-op if the entry was evicted meanwhile.</summary>
    public void SetResponse(Handle handle, ReadOnlySpan<byte> response, bool done)
    {
        ref var slot = ref _slots[handle.Index];
        if (slot.Generation != handle.Generation || !IsLive(handle.Index)) return;
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
        if (slot.Generation != handle.Generation || !IsLive(handle.Index)) return;
        slot.Done = slot.Repeatable = true;
        slot.Length = 0;
        slot.Overflow = null;
    }

    /// <summary>Whether the slot holds an entry: it lies in the ring's window from the oldest entry on (evicted and expired ones lie behind it).</summary>
    private bool IsLive(int index) => (index - _head + _slots.Length) % _slots.Length < _count;

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
        RemoveFromIndex(_head, slot.Hash);
        slot.Overflow = null;
        _head = (_head + 1) % _slots.Length;
        _count--;
    }

    /// <summary>Where the key's slot number is in the index, or the empty position where it would go.</summary>
    private int Find(in Key key, uint hash)
    {
        int position = (int)hash & _mask;
        while (_index[position] is ulong entry and not 0)
        {
            if ((uint)(entry >> 32) == hash && _slots[SlotOf(entry)].Key == key) return position;
            position = (position + 1) & _mask;
        }
        return position;
    }

    private static int SlotOf(ulong entry) => (int)(uint)entry - 1;

    /// <summary>Takes a slot number out of the index, moving later entries of its probe run back into the gap (linear probing has no tombstones).</summary>
    private void RemoveFromIndex(int slotNumber, uint hash)
    {
        int gap = (int)hash & _mask;
        while (SlotOf(_index[gap]) != slotNumber) gap = (gap + 1) & _mask;
        for (int next = (gap + 1) & _mask; _index[next] != 0; next = (next + 1) & _mask)
        {
            int home = (int)(_index[next] >> 32) & _mask;
            // The entry at next may fill the gap unless its home lies cyclically after the gap and at or before next.
            bool homeBetween = gap <= next ? gap < home && home <= next : gap < home || home <= next;
            if (homeBetween) continue;
            _index[gap] = _index[next];
            gap = next;
        }
        _index[gap] = 0;
    }

    private uint Hash(in Key key)
    {
        ulong h = _seed ^ (ulong)key.Peer.Address;
        h = (h ^ (ulong)(key.Peer.Address >> 64)) * 0x9E3779B97F4A7C15UL;
        h = (h ^ ((ulong)key.Peer.Port << 48 | (ulong)key.MessageId << 32 | key.Peer.ScopeId)) * 0xBF58476D1CE4E5B9UL;
        h = (h ^ key.Variant) * 0x94D049BB133111EBUL;
        return (uint)(h ^ (h >> 31) ^ (h >> 47));
    }

    public readonly record struct Handle(int Index, int Generation);

    private readonly record struct Key(PeerAddress Peer, ushort MessageId, ulong Variant);

    private struct Slot
    {
        public Key Key;
        public uint Hash;
        public long Expires;
        public int Generation;
        public int Length;
        public bool Done;
        public bool Repeatable;
        public byte[]? Overflow;
    }
}
