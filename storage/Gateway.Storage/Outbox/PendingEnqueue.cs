using Gateway.Common;

namespace Gateway.Storage.Outbox;

/// <summary>
/// One caller's write on its way through the outbox's writer, and the caller's wait for it: the
/// <see cref="ValueTask{TResult}"/> that <see cref="SqliteOutbox.EnqueueAsync"/> returns is backed by this object, which
/// is reused (issue 21: no task, completion source or entry allocated per durable write). Two hold it: the caller until
/// it has read the result, the writer until it has completed the batch; the last to let go gives it back.
/// Cancelling ends the caller's wait, not the write (<see cref="IOutbox.EnqueueAsync"/>): the writer's later result is
/// then ignored.
/// </summary>
internal sealed class PendingEnqueue(SparePool<PendingEnqueue> spares) : ReusedValueTaskSource<EnqueueResult>
{
    private CancellationTokenRegistration _cancellation;
    private int _completed;
    private int _holders;

    public OutboxMessage Message { get; private set; }
    public DedupRecord? Dedup { get; private set; }
    public EnqueueResult Result { get; set; }
    public Exception? Error { get; set; }

    /// <summary>Begins a use: the caller's task, which a cancellation of <paramref name="cancellationToken"/> ends early.</summary>
    public ValueTask<EnqueueResult> Start(OutboxMessage message, DedupRecord? dedup, CancellationToken cancellationToken)
    {
        Message = message;
        Dedup = dedup;
        _holders = 2;
        // A brief continuation runs on the writer as the batch is completed, without a pool hop of its own.
        RunContinuationsAsynchronously = !message.ContinuesBriefly;
        var task = CurrentTask;
        if (cancellationToken.CanBeCanceled)
        {
            _cancellation = cancellationToken.UnsafeRegister(static (state, token) =>
                ((PendingEnqueue)state!).Complete(new OperationCanceledException(token)), this);
        }
        return task;
    }

    public void Complete(EnqueueResult result)
    {
        if (Interlocked.Exchange(ref _completed, 1) == 0) SetResult(result);
    }

    public void Complete(Exception error)
    {
        if (Interlocked.Exchange(ref _completed, 1) == 0) SetException(error);
    }

    /// <summary>The writer is done with it (after <see cref="Complete(EnqueueResult)"/>).</summary>
    public void Release()
    {
        if (Interlocked.Decrement(ref _holders) == 0) Recycle();
    }

    /// <summary>The use never reached the writer, and its caller gets an exception instead of the task.</summary>
    public void Discard() => Recycle();

    private void Recycle()
    {
        _cancellation.Dispose();
        _cancellation = default;
        Message = default;
        Dedup = null;
        Result = default;
        Error = null;
        _completed = 0;
        ResetUse();
        spares.Return(this);
    }

    /// <summary>The caller has read its result: it lets go (<see cref="Release"/>).</summary>
    protected override void OnResultRead() => Release();
}
