using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace Gateway.Storage.Tests;

/// <summary>
/// <see cref="MappedValueTask{TIn,TState,TOut}"/>: <c>map(await inner, state)</c> without an asynchronous method, its
/// object reused once read. It must give what the awaiting method gave — the mapped result, the inner exception
/// unmapped, the map run where the inner task completes — and a reused object must never mix two uses.
/// </summary>
public sealed class MappedValueTaskTests
{
    // Instantiations of their own, so no other test shares their spares.
    private static ValueTask<string> Describe(ValueTask<int> inner, string state) =>
        MappedValueTask<int, string, string>.Map(inner, state, static (value, label) => $"{label}={value}");

    [Fact]
    public async Task ACompletedInnerTask_IsMappedAtOnce()
    {
        var mapped = Describe(new ValueTask<int>(7), "seven");
        Assert.True(mapped.IsCompletedSuccessfully);
        Assert.Equal("seven=7", await mapped);
    }

    [Fact]
    public async Task APendingInnerTask_IsMappedOnTheThreadThatCompletesIt_AndTheObjectIsKept()
    {
        var inner = new TaskCompletionSource<int>();
        var mappedOn = new StrongBox<int>(-1);
        var mapped = MappedValueTask<int, StrongBox<int>, int>.Map(new ValueTask<int>(inner.Task), mappedOn, static (value, thread) =>
        {
            thread.Value = Environment.CurrentManagedThreadId;
            return value * 2;
        });
        Assert.False(mapped.IsCompleted);
        int spares = MappedValueTask<int, StrongBox<int>, int>.SpareCount;

        var completer = new Thread(() => inner.SetResult(21));
        completer.Start();
        completer.Join();

        Assert.Equal(42, await mapped);
        Assert.Equal(completer.ManagedThreadId, mappedOn.Value);
        Assert.Equal(spares + 1, MappedValueTask<int, StrongBox<int>, int>.SpareCount);
    }

    [Fact]
    public async Task AnInnerException_ReachesTheCaller_AndTheMapDoesNotRun()
    {
        var inner = new TaskCompletionSource<int>();
        bool mapRan = false;
        var mapped = MappedValueTask<int, Action, string>.Map(new ValueTask<int>(inner.Task), () => mapRan = true, static (_, ran) =>
        {
            ran();
            return "mapped";
        });
        inner.SetException(new InvalidOperationException("disk gone"));

        var thrown = await Assert.ThrowsAsync<InvalidOperationException>(async () => await mapped);
        Assert.Equal("disk gone", thrown.Message);
        Assert.False(mapRan);

        // The object was read (with its exception) and is used again correctly.
        var again = new TaskCompletionSource<int>();
        var next = MappedValueTask<int, Action, string>.Map(new ValueTask<int>(again.Task), () => { }, static (value, ran) => $"v{value}");
        again.SetResult(3);
        Assert.Equal("v3", await next);
    }

    [Fact]
    public async Task ReadingAnEarlierUseAgain_Throws_AndLeavesTheCurrentUseAlone()
    {
        var first = new TaskCompletionSource<int>();
        var earlier = Describe(new ValueTask<int>(first.Task), "first");
        first.SetResult(1);
        Assert.Equal("first=1", await earlier);

        var second = new TaskCompletionSource<int>();
        var current = Describe(new ValueTask<int>(second.Task), "second"); // takes the object the first use gave back
        Assert.Throws<InvalidOperationException>(() => earlier.Result);
        Assert.Throws<InvalidOperationException>(() => current.Result); // not completed yet: a read throws, nothing is given back
        second.SetResult(2);
        Assert.Equal("second=2", await current);
    }

    /// <summary>Real threads: inner tasks completed in random order while new maps take the objects given back.</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task ConcurrentUses_EachGetTheirOwnResult(int seed)
    {
        const int Uses = 5_000;
        var random = new Random(seed);
        var inner = new ConcurrentQueue<(TaskCompletionSource<int> Source, int Value)>();
        var results = new Task<string>[Uses];
        var completers = Enumerable.Range(0, 3).Select(_ => new Thread(() =>
        {
            var spin = new SpinWait();
            while (true)
            {
                if (inner.TryDequeue(out var next))
                {
                    if (next.Value < 0) return;
                    next.Source.SetResult(next.Value);
                }
                else spin.SpinOnce();
            }
        })).ToArray();
        foreach (var thread in completers) thread.Start();

        for (int i = 0; i < Uses; i++)
        {
            var source = new TaskCompletionSource<int>();
            var mapped = Describe(new ValueTask<int>(source.Task), $"use{i}");
            results[i] = Await(mapped);
            inner.Enqueue((source, i));
            if (random.Next(4) == 0) await Task.Yield();
        }
        foreach (var _ in completers) inner.Enqueue((new TaskCompletionSource<int>(), -1));
        foreach (var thread in completers) thread.Join();

        var texts = await Task.WhenAll(results).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(Enumerable.Range(0, Uses).Select(i => $"use{i}={i}"), texts);
        Assert.InRange(MappedValueTask<int, string, string>.SpareCount, 1, 1024);

        static async Task<string> Await(ValueTask<string> mapped) => await mapped;
    }
}
