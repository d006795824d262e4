using System.Diagnostics;
using Gateway.Host.Coap;
using Gateway.Storage.Observe;
using Gateway.TestKit;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Host.Tests;

/// <summary>The observe relation writer: one thread, one transaction per batch, a bounded queue that drops its oldest write.</summary>
public sealed class ObservationWriteQueueTests
{
    [Fact]
    public void ABurst_IsStoredInOneTransaction_AfterTheOneInFlight()
    {
        var store = new GatedStore();
        var time = new ManualTimeProvider();
        using var queue = new ObservationWriteQueue(store, time, NullLogger.Instance);

        queue.Enqueue(Add(0));
        Until(() => store.Entered == 1); // the writer holds write 0 in its transaction
        for (int i = 1; i <= 1000; i++) queue.Enqueue(Add(i));
        store.Release();
        Until(() => queue.Commits == 1 && time.ActiveTimers == 1);
        Assert.Equal(1000, queue.Pending); // the writer waits CommitInterval before the next transaction
        AdvanceUntil(time, () => queue.Commits == 2);

        Assert.Equal(new[] { 1, 1000 }, store.Batches.Select(b => b.Count));
        Assert.Equal(Enumerable.Range(0, 1001).Select(Peer), store.Batches.SelectMany(b => b).Select(w => w.Relation.Peer));
        Assert.Equal((1001, 0L, 0L), (queue.Written, queue.Dropped, queue.Failed));
    }

    [Fact]
    public void AFullQueue_DropsItsOldestWrites_AndCountsThem()
    {
        var store = new GatedStore();
        var time = new ManualTimeProvider();
        using var queue = new ObservationWriteQueue(store, time, NullLogger.Instance, capacity: 4);

        queue.Enqueue(Add(0));
        Until(() => store.Entered == 1);
        for (int i = 1; i <= 10; i++) queue.Enqueue(i % 2 == 0 ? Remove(i) : Add(i));
        store.Release();
        AdvanceUntil(time, () => queue.Commits == 2);

        Assert.Equal(6, queue.Dropped);
        var second = store.Batches[1];
        Assert.Equal(new[] { Peer(7), Peer(8), Peer(9), Peer(10) }, second.Select(w => w.Relation.Peer));
        Assert.Equal(new[] { false, true, false, true }, second.Select(w => w.Remove)); // in order, removals as removals
    }

    [Fact]
    public void AFailedTransaction_IsCounted_AndTheWriterGoesOn()
    {
        var store = new GatedStore { FailFirst = true };
        var time = new ManualTimeProvider();
        using var queue = new ObservationWriteQueue(store, time, NullLogger.Instance);
        store.Release();

        queue.Enqueue(Add(0));
        queue.Enqueue(Add(1));
        Until(() => queue.Failed > 0);
        queue.Enqueue(Add(2));
        AdvanceUntil(time, () => queue.Failed + queue.Written == 3);

        Assert.Equal(Peer(2), store.Batches.Last().Last().Relation.Peer);
        Assert.InRange(queue.Failed, 1, 2); // write 0 alone, or 0 and 1 together
    }

    [Fact]
    public async Task Complete_AppliesWhatIsQueued_ThenTakesNoMore()
    {
        var store = new GatedStore();
        var time = new ManualTimeProvider();
        var queue = new ObservationWriteQueue(store, time, NullLogger.Instance);
        queue.Enqueue(Add(0));
        Until(() => store.Entered == 1);
        queue.Enqueue(Add(1));
        store.Release();
        Until(() => queue.Commits == 1);

        var completing = Task.Run(() => queue.Complete(TimeSpan.FromSeconds(30)));
        AdvanceUntil(time, () => completing.IsCompleted); // through the pause after the first commit
        Assert.True(await completing);
        queue.Enqueue(Add(2));

        Assert.Equal(new[] { Peer(0), Peer(1) }, store.Batches.SelectMany(b => b).Select(w => w.Relation.Peer));
    }

    private static string Peer(int i) => $"192.0.2.1:{1000 + i}";

    private static ObservationWrite Add(int i) => new(new ObserveRelation(Peer(i), [(byte)i], """{"path":[],"query":[]}""", "dev", -1, 0), Remove: false);

    private static ObservationWrite Remove(int i) => new(new ObserveRelation(Peer(i), [(byte)i], "", null, -1, 0), Remove: true);

    private static void Until(Func<bool> condition)
    {
        var waited = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(30), "condition not met within 30 s");
            Thread.Sleep(5);
        }
    }

    /// <summary>Moves the clock a commit interval at a time until <paramref name="condition"/> holds (the writer arms its pause on its own thread).</summary>
    private static void AdvanceUntil(ManualTimeProvider time, Func<bool> condition) =>
        Until(() =>
        {
            if (condition()) return true;
            time.Advance(ObservationWriteQueue.CommitInterval);
            return condition();
        });

    /// <summary>Records each transaction's writes; the first Apply waits until <see cref="Release"/>.</summary>
    private sealed class GatedStore : IObservationStore
    {
        private readonly ManualResetEventSlim _open = new();
        private int _entered;

        public List<List<ObservationWrite>> Batches { get; } = [];

        public bool FailFirst { get; init; }

        public int Entered => Volatile.Read(ref _entered);

        public void Release() => _open.Set();

        public void Apply(IReadOnlyList<ObservationWrite> writes)
        {
            bool first = Interlocked.Increment(ref _entered) == 1;
            _open.Wait();
            if (first && FailFirst) throw new InvalidOperationException("disk I/O error");
            lock (Batches) Batches.Add([.. writes]);
        }

        public Task UpsertAsync(ObserveRelation relation, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<bool> UpdateSequenceAsync(string peer, byte[] token, int lastSequence, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<bool> RemoveAsync(string peer, byte[] token, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<IReadOnlyList<ObserveRelation>> ListAsync(CancellationToken cancellationToken = default) => throw new NotSupportedException();
    }
}
