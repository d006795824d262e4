using System.Threading.Channels;
using Gateway.Common;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Storage.Outbox;

/// <summary>
/// The durable <see cref="IOutbox"/> on SQLite. Enqueues go through one writer loop that commits
/// everything that arrived while the previous commit was in flight as one transaction (group
/// commit: one WAL fsync per batch, not per row) and completes each caller only after that commit.
/// The other operations share the same connection under a lock. One process owns the outbox and holds
/// its leases in memory (<see cref="OutboxLeases"/>), so a lease is a read and every lease ends when the
/// process does; the CLI reads figures with <see cref="ReadStats"/>. The constructor opens the outbox without reading
/// its rows: they are counted per device after it returns (<see cref="Opened"/>), and every operation waits for that.
/// </summary>
public sealed class SqliteOutbox : IOutbox
{
    private const int SqliteFull = 13;

    // Primary result codes (https://www.sqlite.org/rescode.html) after which the same transaction may well succeed
    // later without anyone's help: I/O errors (EIO from a write or fsync, extended codes 10 | n << 8), a read-only
    // file system (an ext4 "errors=remount-ro"), a file that cannot be opened, a lock not obtained in time.
    // SQLITE_CORRUPT and anything unexpected stay exceptions (5.00): retrying does not help there.
    private const int SqliteBusy = 5, SqliteLocked = 6, SqliteReadOnly = 8, SqliteIoErr = 10, SqliteCantOpen = 14;

    private readonly StorageOptions _options;
    private readonly string _databasePath;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly FreeSpaceProbe _freeSpace;
    private readonly OutboxCompletionScope? _completionScope;
    private readonly SqliteConnection _connection;
    private readonly OutboxTable _table;
    private readonly BatchTransaction _batchTransaction;
    private readonly OutboxBatchDelta _commitDelta = new(); // the writer's, reset for every batch
    private readonly OutboxLeases _leases = new();
    private readonly StoreClock _clock;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Channel<PendingEnqueue> _pending = Channel.CreateUnbounded<PendingEnqueue>(new UnboundedChannelOptions { SingleReader = true });
    private readonly SparePool<PendingEnqueue> _spares = new(1024); // more than the writes in flight at once
    private readonly Task _writer;
    private readonly Task _opened;
    private Exception? _openFailure;
    private readonly Dictionary<DropKey, long> _drops;
    private long _depth;
    private long _bytes;
    private long _deadLetters;
    private long _commits;
    private long _failedCommits;
    private long _failuresSinceSuccess;
    private long _lastClockSave;
    private bool _disposed;
    private bool _durable = true;
    private int _writerWaiting;

    /// <summary>Rows per DELETE of an acknowledgement, between which device writes may go first.</summary>
    private const int AckChunk = 128;

    /// <param name="database">The opened database.</param>
    /// <param name="time">Clock for the store clock and the group-commit window; the system clock if null.</param>
    /// <param name="logger">Logger; none if null.</param>
    /// <param name="freeBytes">Free-space probe; defaults to the free space of the database directory's file system.</param>
    /// <param name="completionScope">Opened around the completion of each committed batch's writers; none if null.</param>
    public SqliteOutbox(SqliteDatabase database, TimeProvider? time = null, ILogger<SqliteOutbox>? logger = null, Func<long>? freeBytes = null,
        OutboxCompletionScope? completionScope = null)
    {
        ArgumentNullException.ThrowIfNull(database);
        _options = database.Options;
        _databasePath = database.Path;
        _time = time ?? TimeProvider.System;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        var directory = Path.GetDirectoryName(database.Path)!;
        _completionScope = completionScope;
        _connection = database.OpenConnection();
        _table = new OutboxTable(_connection, _leases);
        _batchTransaction = new BatchTransaction(_connection);
        _freeSpace = new FreeSpaceProbe(freeBytes ?? (() => OutboxPolicy.FreeBytesOf(directory)), _table.FreelistBytes, _time, _options.MinFreeBytes);
        _clock = new StoreClock(_time, _table.ReadClock());
        _drops = _table.ReadDrops();
        _deadLetters = _table.ReadDeadLetterTotal();
        _lastClockSave = _clock.NowMs;
        // Counting reads every row (a quarter of a second for a backlog of a million): the gate is held until it is done,
        // so the process can bind its sockets and report READY meanwhile and every operation waits for the count.
        _gate.Wait();
        _opened = Task.Run(CountRows);
        _writer = Task.Run(WriteLoopAsync);
    }

    /// <summary>
    /// Completes once the rows are counted and the outbox serves; faults (with <see cref="StorageCorruptException"/> for a
    /// damaged table) if they cannot be read; every operation then fails, naming that error.
    /// </summary>
    public Task Opened => _opened;

    private void CountRows()
    {
        try
        {
            (_depth, _bytes) = _table.LoadDeviceRows();
            // After the count, so a damaged table is reported unmodified. From here a reader can carry the clock forward
            // (ReadStats) even before the first commit saves it.
            _table.SaveClock(_lastClockSave, _time.GetUtcNow().ToUnixTimeMilliseconds());
            OutboxLog.Opened(_logger, _depth, _bytes);
        }
        catch (SqliteException e) when (SqliteDatabase.IsDamage(e))
        {
            throw _openFailure = new StorageCorruptException(_databasePath, e.Message, e);
        }
        catch (Exception e)
        {
            _openFailure = e;
            throw;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Takes the connection; throws what the count at open failed with, if it did.</summary>
    private async ValueTask EnterAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (_openFailure is not null)
        {
            _gate.Release();
            throw OpenFailed();
        }
    }

    private InvalidOperationException OpenFailed() => new($"The outbox could not be opened: {_openFailure!.Message}", _openFailure);

    /// <summary>Reads the figures of an outbox owned by another process (the CLI's <c>status</c>), writing nothing.</summary>
    /// <param name="serviceRunningAt">Now, when the owning service is known to be running (its queue ages keep growing); null otherwise.</param>
    public static OutboxStats ReadStats(SqliteDatabase database, DateTimeOffset? serviceRunningAt = null)
    {
        ArgumentNullException.ThrowIfNull(database);
        using var connection = database.OpenConnection();
        using var transaction = connection.BeginTransaction(deferred: true);
        var table = new OutboxTable(connection) { Transaction = transaction };
        try
        {
            var (depth, bytes, deadLetters) = table.ReadTotals();
            var clock = table.ReadClock();
            // While the service runs its clock moves on unsaved; carry it forward by the wall time since the last save.
            if (serviceRunningAt is { } now && table.ReadClockSavedAt() is { } savedAt)
            {
                clock += Math.Max(0, now.ToUnixTimeMilliseconds() - savedAt);
            }
            var oldest = table.OldestEnqueuedAt() is { } at ? TimeSpan.FromMilliseconds(Math.Max(0, clock - at)) : TimeSpan.Zero;
            return new OutboxStats(depth, bytes, oldest, table.ReadDrops(), deadLetters, 0);
        }
        finally
        {
            table.Dispose();
        }
    }

    /// <summary>Write entries kept for reuse (tests).</summary>
    internal int SpareEntries => _spares.Count;

    public ValueTask<EnqueueResult> EnqueueAsync(OutboxMessage message, DedupRecord? dedup = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message.Device, nameof(message)); // default(OutboxMessage)
        cancellationToken.ThrowIfCancellationRequested();
        ObjectDisposedException.ThrowIf(_disposed, this);
        var pending = _spares.TryTake(out var spare) ? spare : new PendingEnqueue(_spares);
        var task = pending.Start(message, dedup, cancellationToken);
        if (!_pending.Writer.TryWrite(pending))
        {
            pending.Discard();
            throw new ObjectDisposedException(nameof(SqliteOutbox));
        }
        return task;
    }

    public async ValueTask<byte[]?> TryGetDedupAsync(string peer, int messageId, CancellationToken cancellationToken = default)
    {
        await EnterAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _table.Transaction = null;
            return _table.Dedup.Find(peer, messageId, _clock.NowMs);
        }
        finally
        {
            _gate.Release();
        }
    }

    public ValueTask<IReadOnlyList<OutboxEntry>> LeaseAsync(int maxMessages, TimeSpan leaseFor, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxMessages);
        // A read: nothing is written (and nothing fsync'd) unless a lease ran out since the last one.
        return InTransactionAsync<IReadOnlyList<OutboxEntry>>(_ =>
        {
            var now = _clock.NowMs;
            EndExpiredLeases(now);
            var candidates = _table.LeaseCandidates(now, maxMessages);
            _leases.Add(candidates, now + (long)leaseFor.TotalMilliseconds);
            return candidates.ConvertAll(c => c.Entry);
        }, cancellationToken, deferred: true);
    }

    /// <summary>
    /// Deletes in chunks of <see cref="AckChunk"/> rows and, when device writes wait for the connection
    /// after a chunk, commits what it has and lets them go first: a device's write waits for one chunk,
    /// not for a whole batch's acknowledgement (docs/performance.md, "Device writes before the drain"). Leased rows are
    /// deleted from what their leases kept, without reading them, and the commit does not wait for an fsync:
    /// if power fails before a later commit syncs the WAL, they are sent again, a duplicate and never a loss
    /// (docs/performance.md, "Acknowledgements without a read or an fsync").
    /// </summary>
    public async ValueTask<int> AckAsync(IReadOnlyCollection<long> ids, CancellationToken cancellationToken = default)
    {
        // In id order, so a chunk is mostly runs of consecutive ids, each deleted as a range (OutboxTable.DeleteLeased).
        long[] all = [.. ids];
        Array.Sort(all);
        int done = 0, deleted = 0;
        while (done < all.Length)
        {
            deleted += await InTransactionAsync(delta =>
            {
                int rows = 0;
                do
                {
                    int end = Math.Min(done + AckChunk, all.Length);
                    List<OutboxLeases.LeasedRow>? leased = null;
                    List<long>? others = null;
                    for (; done < end; done++)
                    {
                        if (_leases.Remove(all[done], out var row)) (leased ??= []).Add(row);
                        else (others ??= []).Add(all[done]);
                    }
                    // The leased ones first: an id given twice is then not there for the read of the others.
                    if (leased is not null) rows += Deleted(_table.DeleteLeased(leased), delta);
                    if (others is not null) rows += Deleted(_table.DeleteAll(others), delta);
                }
                while (done < all.Length && Volatile.Read(ref _writerWaiting) == 0);
                return rows;
            }, cancellationToken, durable: false).ConfigureAwait(false);
        }
        return deleted;
    }

    public ValueTask<int> ReleaseAsync(IReadOnlyCollection<long> ids, CancellationToken cancellationToken = default) =>
        InTransactionAsync(_ => _table.CountAttempts(EndLeases(ids)), cancellationToken);

    /// <summary>
    /// A lease its holder never ended (its turn failed) returns its rows to the queue, as one attempt; from
    /// then on they may be leased, dropped or expired again. In every transaction that looks at leases.
    /// </summary>
    private void EndExpiredLeases(long now)
    {
        if (_leases.TakeExpired(now) is { Count: > 0 } expired) _table.CountAttempts(expired);
    }

    /// <summary>Ends the leases of <paramref name="ids"/>; returns the ids that held one.</summary>
    private List<long> EndLeases(IEnumerable<long> ids)
    {
        var ended = new List<long>();
        foreach (var id in ids)
        {
            if (_leases.Remove(id)) ended.Add(id);
        }
        return ended;
    }

    public ValueTask<int> DeadLetterAsync(IReadOnlyCollection<long> ids, DeadLetterCause cause, string reason, CancellationToken cancellationToken = default) =>
        InTransactionAsync(delta =>
        {
            var moved = 0;
            var wallMs = _time.GetUtcNow().ToUnixTimeMilliseconds();
            foreach (var id in ids)
            {
                if (_table.MoveToDeadLetter(id, cause, reason, wallMs, _leases.Remove(id) ? 1 : 0) && _table.Delete(id) is { } row)
                {
                    delta.Bytes -= row.Size;
                    delta.Depth--;
                    delta.DeadLetters++;
                    moved++;
                }
            }
            return moved;
        }, cancellationToken);

    public ValueTask<int> PurgeExpiredAsync(CancellationToken cancellationToken = default) =>
        InTransactionAsync(delta =>
        {
            var now = _clock.NowMs;
            EndExpiredLeases(now);
            var expired = Purge(now, delta);
            _table.AddDrops(delta.Drops);
            _table.SaveClock(now, _time.GetUtcNow().ToUnixTimeMilliseconds());
            return expired;
        }, cancellationToken);

    public async ValueTask<OutboxStats> GetStatsAsync(CancellationToken cancellationToken = default)
    {
        await EnterAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _table.Transaction = null;
            var oldest = _table.OldestEnqueuedAt() is { } at ? TimeSpan.FromMilliseconds(_clock.NowMs - at) : TimeSpan.Zero;
            return new OutboxStats(_depth, _bytes, oldest, new Dictionary<DropKey, long>(_drops), _deadLetters, Interlocked.Read(ref _commits));
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        _pending.Writer.TryComplete();
        await _writer.ConfigureAwait(false);
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            _table.Transaction = null;
            // An outbox whose rows could not be counted is closed as it was found: nothing is written to it.
            if (_openFailure is null)
            {
                CommitDurably(true);
                // A clean stop ends the leases in flight without delivery: each was an attempt. (A crash loses that count.)
                if (_leases.TakeExpired(long.MaxValue) is { Count: > 0 } inFlight) _table.CountAttempts(inFlight);
                _table.SaveClock(_clock.NowMs, _time.GetUtcNow().ToUnixTimeMilliseconds());
            }
            _table.Dispose();
            _batchTransaction.Dispose();
            _connection.Dispose();
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task WriteLoopAsync()
    {
        var reader = _pending.Reader;
        var batch = new List<PendingEnqueue>(Math.Min(_options.MaxBatchSize, 4096));
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            if (_options.GroupCommitWindow > TimeSpan.Zero)
            {
                await Task.Delay(_options.GroupCommitWindow, _time).ConfigureAwait(false);
            }
            while (batch.Count < _options.MaxBatchSize && reader.TryRead(out var item))
            {
                batch.Add(item);
            }
            Volatile.Write(ref _writerWaiting, 1);
            await _gate.WaitAsync().ConfigureAwait(false);
            Volatile.Write(ref _writerWaiting, 0);
            try
            {
                if (_openFailure is not null) batch.ForEach(p => p.Error = OpenFailed());
                else CommitBatch(batch);
            }
            finally
            {
                _gate.Release();
            }
            // On this thread, before the next commit: a pool thread's wake-up cost each write more than the completions
            // take here, once their answers leave together (docs/performance.md, "Answers after a group commit").
            using (_completionScope?.Open())
            {
                CompleteAll(batch);
            }
            batch.Clear();
        }
    }

    private void CommitBatch(List<PendingEnqueue> batch)
    {
        var delta = _commitDelta;
        delta.Reset();
        var now = _clock.NowMs;
        var transaction = _batchTransaction;
        try
        {
            CommitDurably(true);
            _table.Transaction = null;
            transaction.Begin();
            EndExpiredLeases(now);
            long queueBytes = _bytes + delta.Bytes;
            var admission = new OutboxAdmission(_table, _options, now, queueBytes, _freeSpace.FreeBytes(queueBytes));
            for (var i = 0; i < batch.Count; i++)
            {
                var (message, dedup) = (batch[i].Message, batch[i].Dedup);
                // The claim comes first: a retransmission of a request stored earlier, or earlier in this batch, changes nothing.
                if (dedup is { } claimed && !_table.Dedup.Claim(claimed, now, out var recorded))
                {
                    batch[i].Result = EnqueueResult.Duplicate(recorded);
                    continue;
                }
                var id = admission.TryInsert(message, transaction, delta);
                if (id is null)
                {
                    if (dedup is { } taken) _table.Dedup.TakeBack(taken);
                    OutboxLog.Refused(_logger, admission.LastRefusal);
                    batch[i].Result = EnqueueResult.Refused(admission.LastRefusal, _options.RefusalRetryAfter);
                    continue;
                }
                batch[i].Result = EnqueueResult.Committed(id.Value);
            }
            _table.AddDrops(delta.Drops);
            // At most once a second: the meta page would otherwise add a WAL page to every commit,
            // and a crash then costs the store clock under a second (rows only live that much longer).
            var saveClock = now - _lastClockSave >= OutboxPolicy.ClockSaveIntervalMs;
            if (saveClock)
            {
                _table.SaveClock(now, _time.GetUtcNow().ToUnixTimeMilliseconds());
            }
            transaction.Commit();
            _table.DeviceRows.Commit();
            if (saveClock)
            {
                _lastClockSave = now;
            }
        }
        catch (SqliteException e) when ((e.SqliteErrorCode & 0xFF) == SqliteFull)
        {
            transaction.Rollback();
            OutboxLog.DiskFull(_logger, batch.Count);
            var refused = EnqueueResult.Refused(RefusalReason.DiskFull, _options.RefusalRetryAfter);
            batch.ForEach(p => p.Result = refused);
            return;
        }
        catch (SqliteException e) when (IsTransient(e))
        {
            // Never acknowledged: the callers get 5.03 with Max-Age and retry; a retry with the same dedup key finds
            // nothing (the transaction was rolled back), so it is stored once when storage works again.
            transaction.Rollback();
            Interlocked.Increment(ref _failedCommits);
            _failuresSinceSuccess++;
            OutboxLog.StorageUnavailable(_logger, batch.Count, e.Message);
            var refused = EnqueueResult.Refused(RefusalReason.StorageUnavailable, _options.RefusalRetryAfter);
            batch.ForEach(p => p.Result = refused);
            return;
        }
        catch (Exception e)
        {
            transaction.Rollback();
            Interlocked.Increment(ref _failedCommits);
            _failuresSinceSuccess++;
            OutboxLog.CommitFailed(_logger, batch.Count, e);
            batch.ForEach(p => p.Error = e);
            return;
        }
        finally
        {
            _table.DeviceRows.Discard();
        }

        Apply(delta);
        Interlocked.Increment(ref _commits);
        if (_failuresSinceSuccess > 0)
        {
            OutboxLog.StorageRecovered(_logger, _failuresSinceSuccess);
            _failuresSinceSuccess = 0;
        }
    }

    /// <summary>Enqueue transactions that failed and were rolled back (refused, or thrown), by this instance.</summary>
    public long FailedCommits => Interlocked.Read(ref _failedCommits);

    private static bool IsTransient(SqliteException e) => (e.SqliteErrorCode & 0xFF) is SqliteIoErr or SqliteReadOnly or SqliteCantOpen or SqliteBusy or SqliteLocked;

    private int Purge(long now, OutboxBatchDelta delta)
    {
        var cutoff = now - (long)_options.MaxAge.TotalMilliseconds;
        var expired = 0;
        foreach (var (id, kind, leased) in _table.EnqueuedUpTo(cutoff))
        {
            if (OutboxPolicy.Expires(kind) && !leased && _table.Delete(id) is { } row)
            {
                delta.Dropped(kind, DropReason.Expired, row.Size);
                expired++;
            }
        }
        _table.Dedup.Purge(now);
        foreach (var id in _table.DeadLettersMarkedForRetry())
        {
            if (_table.RestoreDeadLetter(id, now) is { } size)
            {
                delta.Bytes += size;
                delta.Depth++;
                OutboxLog.DeadLetterRetried(_logger, id);
            }
        }
        var wallCutoff = _time.GetUtcNow().ToUnixTimeMilliseconds() - (long)_options.DeadLetterMaxAge.TotalMilliseconds;
        if (_table.PruneDeadLetters(wallCutoff, _options.DeadLetterMaxBytes) is > 0 and var pruned) OutboxLog.DeadLettersPruned(_logger, pruned);
        return expired;
    }

    /// <summary>
    /// Sets whether this connection's commits wait for the WAL's fsync (synchronous=FULL) before a transaction begins
    /// (SQLite refuses the change inside one). Every transaction says what it needs, so a device write never commits
    /// at the level an acknowledgement left, and a failed change leaves the level unknown, to be set again.
    /// </summary>
    private void CommitDurably(bool durable)
    {
        if (_durable == durable) return;
        _durable = false;
        SqliteDatabase.Execute(_connection, durable ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
        _durable = durable;
    }

    private static int Deleted((int Rows, long Bytes) deleted, OutboxBatchDelta delta)
    {
        delta.Depth -= deleted.Rows;
        delta.Bytes -= deleted.Bytes;
        return deleted.Rows;
    }

    /// <param name="deferred">For work that mostly reads: the transaction takes the write lock only if it writes.</param>
    /// <param name="durable">
    /// False for work whose loss in a power cut costs nothing but a repetition (an acknowledgement): the commit does
    /// not wait for the WAL's fsync (synchronous=NORMAL for this transaction only). The next durable commit syncs the
    /// WAL, this transaction's frames with it; a checkpoint syncs it first in either mode.
    /// </param>
    private async ValueTask<T> InTransactionAsync<T>(Func<OutboxBatchDelta, T> work, CancellationToken cancellationToken, bool deferred = false, bool durable = true)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        await EnterAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            CommitDurably(durable);
            var delta = new OutboxBatchDelta();
            T result;
            using (var transaction = _connection.BeginTransaction(deferred))
            {
                _table.Transaction = transaction;
                try
                {
                    result = work(delta);
                    transaction.Commit();
                    _table.DeviceRows.Commit();
                }
                finally
                {
                    _table.Transaction = null;
                    _table.DeviceRows.Discard();
                }
            }
            Apply(delta);
            return result;
        }
        finally
        {
            _gate.Release();
        }
    }

    private void Apply(OutboxBatchDelta delta)
    {
        _depth += delta.Depth;
        _bytes += delta.Bytes;
        _deadLetters += delta.DeadLetters;
        if (delta.Drops is null) return;
        foreach (var (key, count) in delta.Drops)
        {
            _drops[key] = _drops.GetValueOrDefault(key) + count;
            OutboxLog.Dropped(_logger, count, key.Reason);
        }
    }

    /// <summary>Completes a committed batch's callers; the brief continuations run here, the others on the pool.</summary>
    private static void CompleteAll(List<PendingEnqueue> batch)
    {
        foreach (var pending in batch)
        {
            if (pending.Error is { } error) pending.Complete(error);
            else pending.Complete(pending.Result);
            pending.Release();
        }
    }
}
