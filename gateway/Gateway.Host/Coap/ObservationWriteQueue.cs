using Gateway.Storage.Observe;
using Microsoft.Extensions.Logging;

namespace Gateway.Host.Coap;

/// <summary>
/// The one way relation writes reach the <see cref="IObservationStore"/>: a bounded queue filled by the endpoint's
/// relation events and drained by one dedicated writer thread, which applies everything queued so far in one
/// transaction and then waits <see cref="CommitInterval"/> before the next. A burst of 10,000 registrations is a
/// handful of commits instead of 10,000, and it never blocks a thread-pool thread on SQLite (the per-row writer it
/// replaces did, and the pool grew from 13 to 25–34 threads during such a burst).
/// The pause also leaves the database's write lock to the outbox writer between batches: the outbox commits
/// acknowledged data and must not wait out its busy timeout behind relation writes.
/// <para>When the queue is full the oldest queued write is dropped and counted. Dropping is safe: an add that is
/// never stored costs that device a registration after a restart; a removal that is never applied leaves a row
/// that is restored after a restart and then ends at its first notification (the observer answers RST or nothing,
/// RFC 7641 §3.6, §4.5), or is declined at restore because a newer relation of the same device exists.</para>
/// </summary>
internal sealed class ObservationWriteQueue : IDisposable
{
    /// <summary>Queued writes at most: above the endpoint's default 10,000 relations, so a whole site re-registering at once fits.</summary>
    public const int DefaultCapacity = 16_384;

    /// <summary>Writes per transaction at most.</summary>
    public const int MaxBatch = 4096;

    /// <summary>Pause after each commit (the batching window, and the outbox writer's turn at the write lock).</summary>
    public static readonly TimeSpan CommitInterval = TimeSpan.FromMilliseconds(100);

    private readonly IObservationStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly int _capacity;
    private readonly Queue<ObservationWrite> _queue = new();
    private readonly Thread _thread;
    private bool _completed;
    private long _dropped, _failed, _written, _commits;

    public ObservationWriteQueue(IObservationStore store, TimeProvider time, ILogger logger, int capacity = DefaultCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _store = store;
        _time = time;
        _logger = logger;
        _capacity = capacity;
        _thread = new Thread(Run) { IsBackground = true, Name = "observe-persist" };
        _thread.Start();
    }

    /// <summary>Writes dropped because the queue was full.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Writes lost because their transaction failed (logged).</summary>
    public long Failed => Interlocked.Read(ref _failed);

    /// <summary>Writes committed.</summary>
    public long Written => Interlocked.Read(ref _written);

    /// <summary>Transactions committed.</summary>
    public long Commits => Interlocked.Read(ref _commits);

    /// <summary>Queued, not yet taken by the writer.</summary>
    public int Pending { get { lock (_queue) return _queue.Count; } }

    /// <summary>Never blocks: a full queue drops its oldest write (counted).</summary>
    public void Enqueue(ObservationWrite write)
    {
        lock (_queue)
        {
            if (_completed) return;
            if (_queue.Count >= _capacity)
            {
                _queue.Dequeue();
                Interlocked.Increment(ref _dropped);
            }
            _queue.Enqueue(write);
            if (_queue.Count == 1) Monitor.Pulse(_queue);
        }
    }

    private void Run()
    {
        var batch = new List<ObservationWrite>(64);
        while (true)
        {
            lock (_queue)
            {
                while (_queue.Count == 0 && !_completed) Monitor.Wait(_queue);
                if (_queue.Count == 0) return; // completed and drained
                while (batch.Count < MaxBatch && _queue.TryDequeue(out var write)) batch.Add(write);
            }
            try
            {
                _store.Apply(batch);
                Interlocked.Add(ref _written, batch.Count);
                Interlocked.Increment(ref _commits);
            }
            catch (Exception e)
            {
                Interlocked.Add(ref _failed, batch.Count);
                Log.ObservationWriteFailed(_logger, batch.Count, e);
            }
            batch.Clear();
            if (batch.Capacity > 1024) batch.Capacity = 64; // a burst's list is not kept for the quiet hours after it
            bool completed;
            lock (_queue) completed = _completed;
            if (!completed) Task.Delay(CommitInterval, _time).Wait();
        }
    }

    /// <summary>Stops taking writes, lets the writer apply what is queued, and waits for it (at most <paramref name="timeout"/>).</summary>
    public bool Complete(TimeSpan timeout)
    {
        lock (_queue)
        {
            _completed = true;
            Monitor.Pulse(_queue);
        }
        return _thread.Join(timeout);
    }

    public void Dispose() => Complete(TimeSpan.FromSeconds(5));
}
