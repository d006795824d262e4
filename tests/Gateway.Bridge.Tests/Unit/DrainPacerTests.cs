using Gateway.Bridge.Forwarding;
using Gateway.TestKit;

namespace Gateway.Bridge.Tests.Unit;

/// <summary>Backlog pacing (issue 6 "drain pacing"): token buckets on a manual clock.</summary>
public class DrainPacerTests
{
    [Fact]
    public async Task RowRate_IsHeld_AfterTheFirstSecondOfTokens()
    {
        var time = new ManualTimeProvider();
        var pacer = new DrainPacer(rowsPerSecond: 100, messagesPerSecond: 0, time);

        await pacer.WaitAsync(100, default).AsTask().WaitAsync(TimeSpan.FromSeconds(5));    // a full bucket: no wait
        var next = pacer.WaitAsync(50, default).AsTask();
        Assert.False(next.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(490));
        Assert.False(next.IsCompleted);                                                      // 50 rows at 100/s = 0.5 s
        time.Advance(TimeSpan.FromMilliseconds(20));
        await next.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(TimeSpan.FromMilliseconds(500), pacer.Waited);
    }

    [Fact]
    public async Task MessageRate_IsHeld_Independently()
    {
        var time = new ManualTimeProvider();
        var pacer = new DrainPacer(rowsPerSecond: 0, messagesPerSecond: 2, time);
        await pacer.WaitAsync(1000, default).AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        await pacer.WaitAsync(1000, default).AsTask().WaitAsync(TimeSpan.FromSeconds(5));   // bucket of 2 messages
        var third = pacer.WaitAsync(1, default).AsTask();
        time.Advance(TimeSpan.FromMilliseconds(499));
        Assert.False(third.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(2));
        await third.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task MessageBiggerThanTheBucket_StillGoes_AndTheLongRunRateHolds()
    {
        var time = new ManualTimeProvider();
        var pacer = new DrainPacer(rowsPerSecond: 10, messagesPerSecond: 0, time);
        await pacer.WaitAsync(30, default).AsTask().WaitAsync(TimeSpan.FromSeconds(5));    // 30 > the 10-token bucket: goes, bucket at -20
        var next = pacer.WaitAsync(10, default).AsTask();
        time.Advance(TimeSpan.FromSeconds(2.9));                                             // refill to +9 only
        Assert.False(next.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(0.2));
        await next.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task ZeroRates_NeverWait()
    {
        var pacer = new DrainPacer(0, 0, new ManualTimeProvider());
        for (int i = 0; i < 100; i++) await pacer.WaitAsync(10_000, default).AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(TimeSpan.Zero, pacer.Waited);
    }
}
