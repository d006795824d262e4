using System.Runtime.CompilerServices;
using Gateway.Common;

namespace Gateway.Storage;

/// <summary>
/// The result of a pending <see cref="ValueTask{TResult}"/> turned into another by a function, without an asynchronous
/// method: what <c>map(await inner, state)</c> gives, but the object behind the returned task is reused once its result
/// has been read (issue 21: a state machine per layer was a third of a durable POST's allocation). The function runs
/// where the inner task completes (a brief continuation, as after <c>ConfigureAwait(false)</c>), and only when it
/// succeeded: an exception of the inner task reaches the caller unmapped. The returned task must be awaited once,
/// like any <see cref="ValueTask{TResult}"/> (nothing else may read it). Used where the outbox's result travels up to
/// the device's answer (the device API, the CoAP mapping, the status page's counting).
/// </summary>
public sealed class MappedValueTask<TIn, TState, TOut> : ReusedValueTaskSource<TOut>
{
    private static readonly SparePool<MappedValueTask<TIn, TState, TOut>> s_spares = new(1024);

    private ConfiguredValueTaskAwaitable<TIn>.ConfiguredValueTaskAwaiter _inner;
    private Func<TIn, TState, TOut> _map = null!;
    private TState _state = default!;
    private readonly Action _onInnerCompleted;

    private MappedValueTask() => _onInnerCompleted = OnInnerCompleted;

    /// <summary>Objects kept for reuse now, across all uses of this instantiation.</summary>
    public static int SpareCount => s_spares.Count;

    /// <summary><c>map(await inner, state)</c>; completed at once when <paramref name="inner"/> already is.</summary>
    public static ValueTask<TOut> Map(ValueTask<TIn> inner, TState state, Func<TIn, TState, TOut> map)
    {
        if (inner.IsCompletedSuccessfully) return new(map(inner.Result, state));
        if (!s_spares.TryTake(out var mapped)) mapped = new MappedValueTask<TIn, TState, TOut>();
        mapped._map = map;
        mapped._state = state;
        mapped._inner = inner.ConfigureAwait(false).GetAwaiter();
        var task = mapped.CurrentTask;
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
            SetException(e);
            return;
        }
        SetResult(result);
    }

    /// <summary>Read once: forgets this use and keeps the object for the next.</summary>
    protected override void OnResultRead()
    {
        _inner = default;
        _map = null!;
        _state = default!;
        ResetUse();
        s_spares.Return(this);
    }
}
