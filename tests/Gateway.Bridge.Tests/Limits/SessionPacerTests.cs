using Gateway.Bridge.Limits;
using Gateway.TestKit;

namespace Gateway.Bridge.Tests.Limits;

/// <summary>Pacing below ThingsBoard's session limits (thingsboard.md §4.1) on a manual clock.</summary>
public class SessionPacerTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(5);

    private static SessionLimits Gateway(string messages = "", string telemetry = "", string dataPoints = "") =>
        new(0, 0, RateLimitSet.None, Set(messages, telemetry, dataPoints));

    private static RateLimitSet Set(string messages, string telemetry, string dataPoints)
    {
        static IReadOnlyList<RateWindow> W(string s) { Assert.True(SessionLimitsParser.TryParseRate(s, out var w, out var e), e); return w; }
        return new RateLimitSet(W(messages), W(telemetry), W(dataPoints));
    }

    private static UplinkEntry Telemetry(string device, int points) => new(device, true, points);

    [Fact]
    public async Task GatewayMessageRate_TheBurstThenTheRate()
    {
        var time = new ManualTimeProvider();
        var pacer = new SessionPacer(time, share: 1);
        pacer.Apply(Gateway(messages: "10:1"));
        for (int i = 0; i < 10; i++) await pacer.WaitAsync([new("a", false, 0)], default).AsTask().WaitAsync(Bound);   // a full bucket
        var next = pacer.WaitAsync([new("a", false, 0)], default).AsTask();
        time.Advance(TimeSpan.FromMilliseconds(99));
        Assert.False(next.IsCompleted);                                                                             // 1 message at 10/s = 100 ms
        time.Advance(TimeSpan.FromMilliseconds(2));
        await next.WaitAsync(Bound);
        Assert.Equal(1, pacer.Paced);
    }

    [Fact]
    public async Task The_entries_are_counted_only_while_limits_are_in_force()
    {
        var time = new ManualTimeProvider();
        var pacer = new SessionPacer(time, share: 1);
        int counted = 0;
        IReadOnlyList<UplinkEntry> Count() { counted++; return [Telemetry("a", 60)]; }

        await pacer.WaitAsync(Count, default).AsTask().WaitAsync(Bound);       // no limits (a plain broker): nothing to count
        Assert.Equal(0, counted);

        pacer.Apply(Gateway(dataPoints: "100:1"));
        await pacer.WaitAsync(Count, default).AsTask().WaitAsync(Bound);       // 60 of 100
        var next = pacer.WaitAsync(Count, default).AsTask();                   // 60 more: waits for the refill
        time.Advance(TimeSpan.FromMilliseconds(100));
        Assert.False(next.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(500));
        await next.WaitAsync(Bound);
        Assert.Equal(2, counted);                                               // once per message, not per wait
        Assert.Equal(1, pacer.Paced);
    }

    [Fact]
    public async Task TheTightestWindowWins()
    {
        var time = new ManualTimeProvider();
        var pacer = new SessionPacer(time, share: 1);
        pacer.Apply(Gateway(messages: "100:1,120:60"));                // 120 per minute is 2/s after the burst
        for (int i = 0; i < 100; i++) await pacer.WaitAsync([new("a", false, 0)], default).AsTask().WaitAsync(Bound);
        time.Advance(TimeSpan.FromSeconds(1));                          // the 1 s window is full again, the minute one has 22 left
        for (int i = 0; i < 22; i++) await pacer.WaitAsync([new("a", false, 0)], default).AsTask().WaitAsync(Bound);
        var next = pacer.WaitAsync([new("a", false, 0)], default).AsTask();
        time.Advance(TimeSpan.FromMilliseconds(480));
        Assert.False(next.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(40));
        await next.WaitAsync(Bound);
    }

    [Fact]
    public async Task DataPoints_AreCountedAcrossTheDevicesOfAMessage()
    {
        var time = new ManualTimeProvider();
        var pacer = new SessionPacer(time, share: 1);
        pacer.Apply(Gateway(dataPoints: "100:1"));
        await pacer.WaitAsync([Telemetry("a", 60), Telemetry("b", 40)], default).AsTask().WaitAsync(Bound);   // 100: the whole bucket
        var next = pacer.WaitAsync([Telemetry("c", 50)], default).AsTask();
        time.Advance(TimeSpan.FromMilliseconds(490));
        Assert.False(next.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(20));
        await next.WaitAsync(Bound);
    }

    [Fact]
    public async Task PerDeviceLimits_PaceOneDevice_NotTheOthers()
    {
        var time = new ManualTimeProvider();
        var pacer = new SessionPacer(time, share: 1);
        pacer.Apply(new SessionLimits(0, 0, Set("", "2:1", ""), RateLimitSet.None));
        await pacer.WaitAsync([Telemetry("a", 1)], default).AsTask().WaitAsync(Bound);
        await pacer.WaitAsync([Telemetry("a", 1)], default).AsTask().WaitAsync(Bound);
        var third = pacer.WaitAsync([Telemetry("a", 1)], default).AsTask();
        await pacer.WaitAsync([Telemetry("b", 1)], default).AsTask().WaitAsync(Bound);   // another device's bucket is full
        Assert.False(third.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(501));
        await third.WaitAsync(Bound);
    }

    [Fact]
    public async Task LiveCharges_MakeTheDrainWait()
    {
        var time = new ManualTimeProvider();
        var pacer = new SessionPacer(time, share: 1);
        pacer.Apply(Gateway(messages: "4:1"));
        for (int i = 0; i < 4; i++) pacer.Charge([new("", false, 0)]);   // live messages go at once, even over the bucket
        pacer.Charge([new("", false, 0)]);
        var drain = pacer.WaitAsync([new("a", false, 0)], default).AsTask();
        time.Advance(TimeSpan.FromMilliseconds(400));
        Assert.False(drain.IsCompleted);                                 // bucket at -1: 2 tokens short = 500 ms
        time.Advance(TimeSpan.FromMilliseconds(110));
        await drain.WaitAsync(Bound);
    }

    [Fact]
    public async Task Share_LeavesHeadroom()
    {
        var time = new ManualTimeProvider();
        var pacer = new SessionPacer(time, share: 0.5);
        pacer.Apply(Gateway(messages: "10:1"));
        for (int i = 0; i < 5; i++) await pacer.WaitAsync([new("a", false, 0)], default).AsTask().WaitAsync(Bound);
        var sixth = pacer.WaitAsync([new("a", false, 0)], default).AsTask();
        time.Advance(TimeSpan.FromMilliseconds(190));
        Assert.False(sixth.IsCompleted);                                 // 5/s: 200 ms per message
        time.Advance(TimeSpan.FromMilliseconds(20));
        await sixth.WaitAsync(Bound);
    }

    [Fact]
    public async Task Held_UntilTheFirstAnswerOrRelease_ThenUnlimitedWithoutLimits()
    {
        var time = new ManualTimeProvider();
        var pacer = new SessionPacer(time, holdUntilFirstAnswer: true);
        var first = pacer.WaitAsync([new("a", false, 0)], default).AsTask();
        time.Advance(TimeSpan.FromSeconds(3));
        Assert.False(first.IsCompleted);
        pacer.Release();                                                 // no answer: nothing paced
        await first.WaitAsync(Bound);
        for (int i = 0; i < 1000; i++) await pacer.WaitAsync([Telemetry("a", 100)], default).AsTask().WaitAsync(Bound);
        Assert.Equal(0, pacer.Paced);
    }

    [Fact]
    public async Task LongWaits_BeatEverySecond()
    {
        var time = new ManualTimeProvider();
        var pacer = new SessionPacer(time, share: 1);
        pacer.Apply(Gateway(messages: "1:10"));
        await pacer.WaitAsync([new("a", false, 0)], default).AsTask().WaitAsync(Bound);
        int beats = 0;
        var next = pacer.WaitAsync([new("a", false, 0)], default, () => beats++).AsTask();
        for (int s = 0; s < 9; s++)
        {
            await WaitForAsync(() => beats == s);
            time.Advance(TimeSpan.FromSeconds(1));
        }
        await WaitForAsync(() => beats == 9);
        Assert.False(next.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(1.1));
        await next.WaitAsync(Bound);
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        for (int i = 0; i < 500 && !condition(); i++) await Task.Delay(10);
        Assert.True(condition());
    }

    [Theory]
    [InlineData("""[{"ts":1,"values":{"a":1,"b":2}},{"ts":2,"values":{"c":3}}]""", 3)]
    [InlineData("""{"a":1,"ts":5}""", 2)]
    [InlineData("""[{"a":1},{"b":{"x":1,"y":2}}]""", 2)]
    [InlineData("""not json""", 0)]
    public void DataPoints_AreKeyValuePairs(string json, int expected) =>
        Assert.Equal(expected, DataPoints.Count(System.Text.Encoding.UTF8.GetBytes(json)));
}
