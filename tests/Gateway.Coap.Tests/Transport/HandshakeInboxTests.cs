using Gateway.Coap.Transport.Dtls;

namespace Gateway.Coap.Tests.Transport;

/// <summary>
/// A handshake's inbox: bounded, first in first out, a taker waits for the next datagram or its timeout, and completing
/// it wakes the taker, who still gets what was queued before the end.
/// </summary>
public sealed class HandshakeInboxTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public void RefusesBeyondItsCapacity_AndGivesItemsInOrder()
    {
        var inbox = new HandshakeInbox<int>(capacity: 2);
        Assert.True(inbox.TryAdd(1));
        Assert.True(inbox.TryAdd(2));
        Assert.False(inbox.TryAdd(3));

        Assert.True(inbox.TryTake(out int first));
        Assert.True(inbox.TryAdd(4)); // room again
        Assert.True(inbox.TryTake(out int second));
        Assert.True(inbox.TryTake(out int third));
        Assert.False(inbox.TryTake(out _)); // empty, no wait
        Assert.Equal([1, 2, 4], new[] { first, second, third });
    }

    [Fact]
    public void EmptyInbox_TimesOut()
    {
        var inbox = new HandshakeInbox<int>(capacity: 4);
        Assert.False(inbox.TryTake(out _, waitMillis: 20));
        Assert.False(inbox.IsCompleted);
    }

    [Fact]
    public async Task AWaitingTaker_GetsTheDatagramAddedMeanwhile()
    {
        var inbox = new HandshakeInbox<int>(capacity: 4);
        using var waiting = new ManualResetEventSlim();
        var taker = Task.Run(() =>
        {
            waiting.Set();
            return inbox.TryTake(out int item, waitMillis: (int)Patience.TotalMilliseconds) ? item : -1;
        });
        Assert.True(waiting.Wait(Patience));
        Thread.Sleep(20); // most likely asleep in the wait by now; either way the item is taken
        Assert.True(inbox.TryAdd(42));
        Assert.Equal(42, await taker.WaitAsync(Patience));
    }

    [Fact]
    public async Task Completing_WakesAWaitingTaker_AfterWhatWasQueued_AndRefusesMore()
    {
        var inbox = new HandshakeInbox<int>(capacity: 4);
        Assert.True(inbox.TryAdd(7));
        inbox.CompleteAdding();
        Assert.False(inbox.TryAdd(8));
        Assert.True(inbox.TryTake(out int queued, waitMillis: 1000));
        Assert.Equal(7, queued);
        Assert.False(inbox.TryTake(out _, waitMillis: 1000)); // completed and empty: at once

        var other = new HandshakeInbox<int>(capacity: 4);
        using var waiting = new ManualResetEventSlim();
        // An hour's wait: only the completion can end it within the test's patience.
        var taker = Task.Run(() =>
        {
            waiting.Set();
            return other.TryTake(out _, waitMillis: (int)TimeSpan.FromHours(1).TotalMilliseconds);
        });
        Assert.True(waiting.Wait(Patience));
        Thread.Sleep(20);
        other.CompleteAdding();
        Assert.False(await taker.WaitAsync(Patience));
        Assert.True(other.IsCompleted);
    }
}
