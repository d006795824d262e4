using System.Net;
using Gateway.Coap.Reliability;
using Gateway.Coap.Transport;

namespace Gateway.Coap.Tests.Reliability;

/// <summary>
/// The deduplicator (RFC 7252 §4.5) against a plain model of the same rules: entries in arrival order, the oldest
/// evicted when full, expired ones dropped from the oldest on, a duplicate answered from its stored response, a repeatable entry run
/// again under a new handle, a response stored only into the live entry its handle names.
/// </summary>
public class DeduplicatorTests
{
    private const int InlineBytes = 16;

    [Theory]
    [InlineData(1, 8, 3)]
    [InlineData(2, 37, 5)]
    [InlineData(3, 64, 9)]
    [InlineData(4, 64, 40)]
    [InlineData(5, 1, 2)]
    public void RandomOperations_AgreeWithTheModel(int seed, int capacity, int peers)
    {
        var random = new Random(seed);
        var real = new Deduplicator(capacity, InlineBytes);
        var model = new Model(capacity);
        var handles = new List<(Deduplicator.Handle Real, int Model)>();
        var addresses = Enumerable.Range(0, peers)
            .Select(i => PeerAddress.From(new IPEndPoint(i % 2 == 0 ? new IPAddress([192, 0, 2, (byte)i]) : IPAddress.Parse($"2001:db8::{i:x}"), 5683 + i % 3)))
            .ToArray();
        long now = 0;
        for (int step = 0; step < 20_000; step++)
        {
            now += random.Next(4) == 0 ? random.Next(1, 40) : 0;
            switch (random.Next(10))
            {
                case < 6:
                {
                    var peer = addresses[random.Next(addresses.Length)];
                    var messageId = (ushort)random.Next(capacity * 2);
                    ulong variant = random.Next(5) == 0 ? (ulong)random.Next(1, 3) : 0;
                    long lifetime = random.Next(1, 200);
                    var lookup = real.CheckAndAdd(peer, messageId, variant, now, lifetime, out var handle, out var cached);
                    var (expected, expectedResponse, modelHandle) = model.CheckAndAdd((peer, messageId, variant), now, lifetime);
                    Assert.True(expected == lookup, $"step {step}: {lookup}, the model says {expected}");
                    Assert.Equal(expectedResponse, cached.ToArray());
                    handles.Add((handle, modelHandle));
                    break;
                }
                case < 9 when handles.Count > 0:
                {
                    var (handle, modelHandle) = handles[random.Next(handles.Count)];
                    var response = new byte[random.Next(3) == 0 ? InlineBytes + random.Next(1, 20) : random.Next(InlineBytes + 1)];
                    random.NextBytes(response);
                    bool done = random.Next(4) != 0;
                    real.SetResponse(handle, response, done);
                    model.SetResponse(modelHandle, response, done);
                    break;
                }
                case 9 when handles.Count > 0:
                {
                    var (handle, modelHandle) = handles[random.Next(handles.Count)];
                    real.SetRepeatable(handle);
                    model.SetRepeatable(modelHandle);
                    break;
                }
            }
            Assert.Equal(model.Count, real.Count);
            Assert.Equal(model.Evicted, real.EvictedEarly);
            if (handles.Count > 4 * capacity) handles.RemoveRange(0, handles.Count / 2);
        }
    }

    [Fact]
    public void FullTable_EveryLiveKeyIsFound_AfterManyEvictions()
    {
        // Half-full index, keys evicted from every point of their probe runs: each of the last `capacity` keys must
        // still be found (a removal that broke a run would make a later key look new).
        const int capacity = 1024;
        var dedup = new Deduplicator(capacity, InlineBytes);
        var peer = PeerAddress.From(new IPEndPoint(IPAddress.Loopback, 5683));
        for (int i = 0; i < 50_000; i++)
        {
            Assert.Equal(Deduplicator.Lookup.New, dedup.CheckAndAdd(peer, (ushort)i, 0, 0, 1000, out _, out _));
            if (i >= capacity && i % 97 == 0)
            {
                for (int back = 0; back < capacity; back++)
                {
                    Assert.NotEqual(Deduplicator.Lookup.New, dedup.CheckAndAdd(peer, (ushort)(i - back), 0, 0, 1000, out _, out _));
                }
            }
        }
        Assert.Equal(capacity, dedup.Count);
        Assert.Equal(50_000 - capacity, dedup.EvictedEarly);
    }

    [Fact]
    public void LateResponse_OfAnEvictedExchange_IsNotReplayedForTheNewOneWithTheSameKey()
    {
        var dedup = new Deduplicator(2, InlineBytes);
        var peer = PeerAddress.From(new IPEndPoint(IPAddress.Loopback, 5683));
        dedup.CheckAndAdd(peer, 1, 0, 0, 1000, out var first, out _);
        dedup.CheckAndAdd(peer, 2, 0, 0, 1000, out _, out _);
        dedup.CheckAndAdd(peer, 3, 0, 0, 1000, out _, out _); // evicts MID 1
        dedup.CheckAndAdd(peer, 1, 0, 0, 1000, out _, out _); // MID 1 again, in another slot (evicts MID 2)
        dedup.SetResponse(first, [0x60, 0x45, 0, 1], done: true); // the first exchange's late answer
        Assert.Equal(Deduplicator.Lookup.InProgress, dedup.CheckAndAdd(peer, 1, 0, 0, 1000, out _, out var cached));
        Assert.True(cached.IsEmpty);
    }

    /// <summary>The rules, written plainly.</summary>
    private sealed class Model(int capacity)
    {
        private sealed class Entry
        {
            public (PeerAddress, ushort, ulong) Key;
            public long Expires;
            public bool Done, Repeatable;
            public byte[] Response = [];
            public int Handle;
        }

        private readonly List<Entry> _entries = [];
        private int _nextHandle;

        public int Count => _entries.Count;

        public long Evicted { get; private set; }

        public (Deduplicator.Lookup, byte[], int) CheckAndAdd((PeerAddress, ushort, ulong) key, long now, long lifetime)
        {
            // In arrival order, from the oldest while it has expired (NON and CON lifetimes differ: a later entry may outlive it).
            while (_entries.Count > 0 && _entries[0].Expires <= now) _entries.RemoveAt(0);
            if (_entries.Find(e => e.Key == key) is { } found)
            {
                if (found.Repeatable)
                {
                    found.Repeatable = found.Done = false;
                    found.Handle = ++_nextHandle;
                    return (Deduplicator.Lookup.Repeat, [], found.Handle);
                }
                return (found.Done ? Deduplicator.Lookup.Done : Deduplicator.Lookup.InProgress, found.Response, found.Handle);
            }
            if (_entries.Count == capacity)
            {
                _entries.RemoveAt(0);
                Evicted++;
            }
            var entry = new Entry { Key = key, Expires = now + lifetime, Handle = ++_nextHandle };
            _entries.Add(entry);
            return (Deduplicator.Lookup.New, [], entry.Handle);
        }

        public void SetResponse(int handle, byte[] response, bool done)
        {
            if (_entries.Find(e => e.Handle == handle) is not { } entry) return;
            entry.Done = done;
            entry.Repeatable = false;
            entry.Response = response;
        }

        public void SetRepeatable(int handle)
        {
            if (_entries.Find(e => e.Handle == handle) is not { } entry) return;
            entry.Done = entry.Repeatable = true;
            entry.Response = [];
        }
    }
}
