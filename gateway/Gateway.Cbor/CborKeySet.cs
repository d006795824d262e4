namespace Gateway.Cbor;

/// <summary>
/// The encoded keys of one map, for duplicate detection (RFC 8949 §5.6). Keys are remembered as
/// offset ranges into the caller's buffer (which may move, e.g. a growing writer buffer, so the
/// buffer is passed on every call). Small maps use a linear scan; larger ones a hash index with a
/// per-process randomized hash, so a hostile map with many keys costs linear time, not quadratic.
/// </summary>
internal sealed class CborKeySet
{
    private const int LinearLimit = 8;

    private (int Start, int Length, int Hash, int Next)[] _entries = new (int, int, int, int)[4];
    private int _count;
    private int[]? _buckets; // 1-based entry index per bucket, 0 = empty

    public int Count => _count;

    public bool TryAdd(ReadOnlySpan<byte> buffer, int start, int length)
    {
        ReadOnlySpan<byte> key = buffer.Slice(start, length);
        int hash = Hash(key);
        if (_buckets is null)
        {
            for (int i = 0; i < _count; i++)
            {
                if (_entries[i].Hash == hash && buffer.Slice(_entries[i].Start, _entries[i].Length).SequenceEqual(key)) return false;
            }
        }
        else
        {
            for (int i = _buckets[hash & (_buckets.Length - 1)]; i != 0; i = _entries[i - 1].Next)
            {
                ref var e = ref _entries[i - 1];
                if (e.Hash == hash && buffer.Slice(e.Start, e.Length).SequenceEqual(key)) return false;
            }
        }

        if (_count == _entries.Length) Array.Resize(ref _entries, _count * 2);
        _entries[_count] = (start, length, hash, 0);
        _count++;
        if (_buckets is not null && _count > _buckets.Length)
        {
            Rehash(_buckets.Length * 2);
        }
        else if (_buckets is not null)
        {
            Link(_count - 1);
        }
        else if (_count > LinearLimit)
        {
            Rehash(16);
        }

        return true;
    }

    public void Clear()
    {
        _count = 0;
        _buckets = null;
    }

    private void Rehash(int size)
    {
        _buckets = new int[size];
        for (int i = 0; i < _count; i++) Link(i);
    }

    private void Link(int index)
    {
        int bucket = _entries[index].Hash & (_buckets!.Length - 1);
        _entries[index].Next = _buckets[bucket];
        _buckets[bucket] = index + 1;
    }

    private static int Hash(ReadOnlySpan<byte> key)
    {
        var hash = new HashCode();
        hash.AddBytes(key);
        return hash.ToHashCode();
    }
}
