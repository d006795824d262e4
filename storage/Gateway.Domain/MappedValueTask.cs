using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Threading.Tasks.Sources;

namespace Gateway.Domain;

/// <summary>
/// The result of a pending <see cref="ValueTask{TResult}"/> turned into another by a function, without an asynchronous
/// method: what <c>map(await inner, state)</c> gives, but the object behind the returned task is reused once its result
/// has been read (issue 21: a state machine per layer was a third of a durable POST's allocation). The function runs
/// where the inner task completes (a brief continuation, as after <c>ConfigureAwait(false)</c>), and only when it
/// succeeded: an exception of the inner task reaches the caller unmapped. The returned task must be awaited once,
/// like any <see cref="ValueTask{TResult}"/> (nothing else may read it).
/// </summary>
public sealed class MappedValueTask<TIn, TState, TOut> : IValueTaskSource<TOut>
{
    private const int MaxSpares = 1024;
    private static readonly ConcurrentQueue<MappedValueTask<TIn, TState, TOut>> s_spares = new();
    private static int s_spareCount;

    private ManualResetValueTaskSourceCore<TOut> _core;
    private ConfiguredValueTaskAwaitable<TIn>.ConfiguredValueTaskAwaiter _inner;
    private Func<TIn, TState, TOut> _map = null!;
    private TState _state = default!;
    private readonly Action _onInnerCompleted;

    private MappedValueTask() => _onInnerCompleted = OnInnerCompleted;

    /// <summary>Objects kept for reuse now, across all uses of this instantiation.</summary>
    public static int SpareCount => Volatile.Read(ref s_spareCount);

    /// <summary><c>map(await inner, state)</c>; completed at once when <paramref name="inner"/> already is.</summary>
    public static ValueTask<TOut> Map(ValueTask<TIn> inner, TState state, Func<TIn, TState, TOut> map)
    {
        if (inner.IsCompletedSuccessfully) return new(map(inner.Result, state));
        if (s_spares.TryDequeue(out var mapped)) Interlocked.Decrement(ref s_spareCount);
        else mapped = new MappedValueTask<TIn, TState, TOut>();
        mapped._map = map;
        mapped._state = state;
        mapped._inner = inner.ConfigureAwait(false).GetAwaiter();
        var task = new ValueTask<TOut>(mapped, mapped._core.Version);
        mapped._inner.UnsafeOnCompleted(mapped._onInnerCompleted);
        return task;
    }

    private void OnInnerCompleted()
    {
        TOut result;
        try
        {
            result = _map(_inner.GetResult(), _state);
        }
        catch (Exception e)
        {
            _core.SetException(e);
            return;
        }
        _core.SetResult(result);
    }

    public TOut GetResult(short token)
    {
        // A read of an earlier use's task, or of one not completed, throws and leaves this use alone.
        bool reading = token == _core.Version && _core.GetStatus(token) != ValueTaskSourceStatus.Pending;
        try
        {
            return _core.GetResult(token);
        }
        finally
        {
            if (reading) Recycle();
        }
    }

    /// <summary>Read once: forgets this use and keeps the object for the next.</summary>
    private void Recycle()
    {
        _inner = default;
        _map = null!;
        _state = default!;
        _core.Reset();
        if (Interlocked.Increment(ref s_spareCount) <= MaxSpares) s_spares.Enqueue(this);
        else Interlocked.Decrement(ref s_spareCount);
    }

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
