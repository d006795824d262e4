using System.Text;
using Gateway.Storage.Outbox;
using Gateway.TestKit;

namespace Gateway.Storage.Tests.Outbox;

/// <summary>
/// Where a committed batch's writers are completed: brief continuations on the writer, inside the
/// <see cref="OutboxCompletionScope"/> (the CoAP listener's: their answers leave in one system call), after the commit;
/// the others on the pool, outside it.
/// </summary>
public sealed class SqliteOutboxCompletionTests : StoreTestBase
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    /// <summary>A scope that tells a continuation whether it runs inside it, on which thread, and how often it was opened.</summary>
    private sealed class RecordingScope : IDisposable
    {
        [ThreadStatic] private static RecordingScope? t_open;
        public int Opened, Closed;

        public static bool IsOpenOnThisThread => t_open is not null;

        public IDisposable Open()
        {
            Assert.Null(t_open); // never nested
            t_open = this;
            Interlocked.Increment(ref Opened);
            return this;
        }

        public void Dispose()
        {
            Assert.Same(this, t_open);
            t_open = null;
            Interlocked.Increment(ref Closed);
        }
    }

    /// <summary>Rows another connection sees: only committed ones (WAL).</summary>
    private long CommittedRows()
    {
        using var connection = Database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM outbox";
        return (long)command.ExecuteScalar()!;
    }

    private static OutboxMessage Message(int i, bool brief) =>
        new("sensor", OutboxMessageKind.Telemetry, Encoding.UTF8.GetBytes($"{{\"ts\":{i},\"values\":{{\"t\":{i}}}}}")) { ContinuesBriefly = brief };

    [Theory]
    [InlineData(true, true)]
    [InlineData(false, false)]
    public async Task ABriefContinuation_RunsInsideTheScope_AfterTheCommit_AndTheOthersOnThePool(bool brief, bool inside)
    {
        var recording = new RecordingScope();
        var scope = new OutboxCompletionScope();
        scope.Use(recording.Open);
        var outbox = new SqliteOutbox(Database, completionScope: scope);
        (bool Inside, long Depth)[] results;
        try
        {
            var seen = new List<Task<(bool Inside, long Depth)>>();
            for (int i = 0; i < 50; i++)
            {
                seen.Add(outbox.EnqueueAsync(Message(i, brief)).AsTask().ContinueWith(
                    t => (RecordingScope.IsOpenOnThisThread, t.Result.Status == EnqueueStatus.Committed ? CommittedRows() : -1),
                    TaskContinuationOptions.ExecuteSynchronously));
            }
            results = await Task.WhenAll(seen).WaitAsync(Patience);
        }
        finally
        {
            // The writer has ended once this returns: the last batch's scope is closed (its writers may be told first).
            await outbox.DisposeAsync();
        }

        Assert.All(results, r => Assert.Equal(inside, r.Inside));
        // Committed before anyone is told: the row is there when the continuation runs.
        Assert.All(results, r => Assert.True(r.Depth >= 1, $"depth {r.Depth} seen by a continuation"));
        Assert.InRange(recording.Opened, 1, 50); // once per committed batch
        Assert.Equal(recording.Opened, recording.Closed);
    }

    /// <summary>IOutbox.EnqueueAsync: cancelling ends the caller's wait at once, not the write, which is still committed.</summary>
    [Fact]
    public async Task CancellingAWait_EndsItAtOnce_AndTheWriteIsStillCommitted()
    {
        var clock = new ManualTimeProvider();
        Options.GroupCommitWindow = TimeSpan.FromSeconds(1); // the writer waits on this clock: nothing commits until it moves
        var outbox = new SqliteOutbox(Database, clock);
        try
        {
            await outbox.Opened.WaitAsync(Patience);
            using var cancel = new CancellationTokenSource();
            var cancelled = outbox.EnqueueAsync(Message(1, brief: true), cancellationToken: cancel.Token).AsTask();
            using var never = new CancellationTokenSource();
            var waiting = outbox.EnqueueAsync(Message(2, brief: true), cancellationToken: never.Token).AsTask();

            cancel.Cancel();

            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.WaitAsync(Patience));
            Assert.False(waiting.IsCompleted);
            Assert.Equal(0, CommittedRows());
            await MoveUntil(clock, waiting);
            Assert.Equal(EnqueueStatus.Committed, (await waiting.WaitAsync(Patience)).Status);
            Assert.Equal(2, CommittedRows());
        }
        finally
        {
            await MoveUntil(clock, outbox.DisposeAsync().AsTask()); // the writer may still wait on the clock
        }
    }

    /// <summary>Moves the clock on a second at a time (the writer's wait may not have begun yet) until <paramref name="task"/> ends.</summary>
    private static async Task MoveUntil(ManualTimeProvider clock, Task task)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!task.IsCompleted && DateTime.UtcNow < deadline)
        {
            clock.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(10);
        }
        await task.WaitAsync(Patience);
    }

    [Fact]
    public async Task WithoutAScope_OrWhenItOpensNothing_WritersAreCompletedAsBefore()
    {
        var scope = new OutboxCompletionScope();
        scope.Use(() => null); // what the listener's endpoint gives when its transport cannot batch
        await using var outbox = new SqliteOutbox(Database, completionScope: scope);
        var result = await outbox.EnqueueAsync(Message(1, brief: true)).AsTask().WaitAsync(Patience);
        Assert.Equal(EnqueueStatus.Committed, result.Status);

        scope.Use(null);
        result = await outbox.EnqueueAsync(Message(2, brief: true)).AsTask().WaitAsync(Patience);
        Assert.Equal(EnqueueStatus.Committed, result.Status);
        Assert.Equal(2, (await outbox.GetStatsAsync()).Depth);
    }

    /// <summary>
    /// The entries behind the callers' tasks are reused (issue 21). Real threads, some callers cancelling while their
    /// write is under way: every caller learns its own write's id (the row with that id holds its payload) or that its
    /// wait was cancelled, every write is committed either way, and the entries are taken again.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task ReusedEntries_TellEveryCallerItsOwnResult(int seed)
    {
        const int Writes = 2_000;
        var random = new Random(seed);
        var cancelAfter = Enumerable.Range(0, Writes).Select(_ => random.Next(10) == 0 ? random.Next(0, 3) : -1).ToArray();
        await using var outbox = new SqliteOutbox(Database);
        var ids = new long[Writes];
        int cancelled = 0, wrong = 0;
        await Parallel.ForAsync(0, Writes, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, _) =>
        {
            using var cancel = new CancellationTokenSource();
            var write = outbox.EnqueueAsync(Message(i, brief: i % 2 == 0), cancellationToken: cancel.Token);
            if (cancelAfter[i] >= 0)
            {
                if (cancelAfter[i] > 0) await Task.Delay(cancelAfter[i]);
                cancel.Cancel();
            }
            try
            {
                var result = await write;
                if (result.Status != EnqueueStatus.Committed) Interlocked.Increment(ref wrong);
                ids[i] = result.Id;
            }
            catch (OperationCanceledException)
            {
                Interlocked.Increment(ref cancelled);
            }
        });

        Assert.Equal(0, wrong);
        Assert.InRange(cancelled, 1, Writes / 5);
        Assert.Equal(Writes, CommittedRows()); // a cancelled wait does not cancel its write
        using var connection = Database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT payload FROM outbox WHERE id = $id";
        var id = command.Parameters.Add("$id", Microsoft.Data.Sqlite.SqliteType.Integer);
        var told = Enumerable.Range(0, Writes).Where(i => ids[i] != 0).ToArray();
        Assert.Equal(told.Length, told.Select(i => ids[i]).Distinct().Count());
        foreach (int i in told)
        {
            id.Value = ids[i];
            Assert.Equal(Encoding.UTF8.GetString(Message(i, brief: false).Payload.Span), Encoding.UTF8.GetString((byte[])command.ExecuteScalar()!));
        }
        Assert.True(SpinWait.SpinUntil(() => outbox.SpareEntries > 0, Patience));
        Assert.InRange(outbox.SpareEntries, 1, 1024);
    }
}
