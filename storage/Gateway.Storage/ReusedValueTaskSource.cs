using System.Threading.Tasks.Sources;

namespace Gateway.Storage;

/// <summary>
/// The object behind a <see cref="ValueTask{TResult}"/> that is used again once its result has been read (issue 21: a
/// durable write allocates no task). A read of an earlier use's task, or of one not completed yet, throws and leaves the
/// current use alone; the one read of a completed use calls <see cref="OnResultRead"/>, where the owner lets go of it.
/// </summary>
public abstract class ReusedValueTaskSource<T> : IValueTaskSource<T>
{
    private ManualResetValueTaskSourceCore<T> _core;

    /// <summary>The current use's task.</summary>
    protected ValueTask<T> CurrentTask => new(this, _core.Version);

    /// <summary>Whether the caller's continuation is queued to the pool rather than run where the use completes.</summary>
    protected bool RunContinuationsAsynchronously { set => _core.RunContinuationsAsynchronously = value; }

    protected void SetResult(T result) => _core.SetResult(result);

    protected void SetException(Exception error) => _core.SetException(error);

    /// <summary>Ends the use: the next gets a new task, and a read of this one's throws.</summary>
    protected void ResetUse() => _core.Reset();

    /// <summary>The caller has read the current use's result (it may not read it again).</summary>
    protected abstract void OnResultRead();

    public T GetResult(short token)
    {
        bool reading = token == _core.Version && _core.GetStatus(token) != ValueTaskSourceStatus.Pending;
        try
        {
            return _core.GetResult(token);
        }
        finally
        {
            if (reading) OnResultRead();
        }
    }

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
