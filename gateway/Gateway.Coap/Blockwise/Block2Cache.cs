using Gateway.Coap.Server;
using Gateway.Coap.Transport;

namespace Gateway.Coap.Blockwise;

/// <summary>
/// Whole response bodies of Block2 transfers in progress, keyed by (peer, <see cref="RequestKey"/>),
/// so a body is computed once per transfer and every later block is a slice of it (RFC 7959 §2.4
/// leaves it to the server how it keeps the representation stable; the ETag tells the client if
/// it changed). An entry lives EXCHANGE_LIFETIME after its last use. Bounded by entries and bytes;
/// least recently used entries are evicted first and counted. Not thread-safe: the endpoint's gate.
/// </summary>
internal sealed class Block2Cache(int capacity, long maxBytes)
{
    private readonly Dictionary<(PeerAddress Peer, RequestKey Key), Entry> _entries = [];
    private readonly LinkedList<Entry> _lru = [];

    public int Count => _entries.Count;
    public long Bytes { get; private set; }
    public long Evictions { get; private set; }

    public bool TryGet(PeerAddress peer, RequestKey key, long now, long lifetime, out CachedBody body)
    {
        Expire(now);
        if (_entries.TryGetValue((peer, key), out var entry))
        {
            entry.Expires = now + lifetime;
            _lru.Remove(entry.Node);
            _lru.AddLast(entry.Node);
            body = entry.Body;
            return true;
        }
        body = default!;
        return false;
    }

    public void Put(PeerAddress peer, RequestKey key, CachedBody body, long now, long lifetime)
    {
        Expire(now);
        if (_entries.Remove((peer, key), out var old)) Drop(old);
        if (body.HeldBytes > maxBytes) return; // never cacheable; every block recomputes (still correct, stateless)
        while (_entries.Count >= capacity || Bytes + body.HeldBytes > maxBytes)
        {
            var oldest = _lru.First!.Value;
            _entries.Remove((oldest.Peer, oldest.Key));
            Drop(oldest);
            Evictions++;
        }
        var entry = new Entry(peer, key, body) { Expires = now + lifetime };
        entry.Node = _lru.AddLast(entry);
        _entries[(peer, key)] = entry;
        Bytes += body.HeldBytes;
    }

    public void Remove(PeerAddress peer, RequestKey key)
    {
        if (_entries.Remove((peer, key), out var entry)) Drop(entry);
    }

    private void Expire(long now)
    {
        while (_lru.First is { } first && first.Value.Expires <= now)
        {
            _entries.Remove((first.Value.Peer, first.Value.Key));
            Drop(first.Value);
        }
    }

    private void Drop(Entry entry)
    {
        _lru.Remove(entry.Node);
        Bytes -= entry.Body.HeldBytes;
    }

    private sealed class Entry(PeerAddress peer, RequestKey key, CachedBody body)
    {
        public PeerAddress Peer { get; } = peer;
        public RequestKey Key { get; } = key;
        public CachedBody Body { get; } = body;
        public long Expires { get; set; }
        public LinkedListNode<Entry> Node { get; set; } = null!;
    }
}

/// <summary>
/// A whole response (code, options, owned body) and the ETag every block of it carries; or, with a
/// <see cref="Source"/>, its code and options and where to read the blocks (the body is not held).
/// </summary>
internal sealed record CachedBody(CoapResponse Response, byte[] ETag, IBlockSource? Source = null)
{
    public long Length => Source?.Length ?? Response.Payload.Length;

    /// <summary>Memory the entry holds: the body, or nothing for a body read from its source per block.</summary>
    public long HeldBytes => Source is null ? Response.Payload.Length : 0;
}
