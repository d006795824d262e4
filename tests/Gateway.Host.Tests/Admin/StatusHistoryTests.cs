using Gateway.Host.Admin;
using Gateway.TestKit;

namespace Gateway.Host.Tests.Admin;

public sealed class StatusHistoryTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);
    private readonly ManualTimeProvider _time = new();

    [Fact]
    public void Ring_KeepsTheNewestSamplesOldestFirst_AndNeverGrowsPastItsCapacity()
    {
        var ring = new StatusRing(3);
        for (var i = 1; i <= 5; i++) ring.Add(new StatusSample(i, i, 0, 0, 0, 0));

        Assert.Equal(3, ring.Count);
        Assert.Equal([3L, 4L, 5L], ring.ToArray().Select(s => s.Depth));
    }

    [Fact]
    public void Ring_PartlyFilled_ReturnsOnlyWhatWasAdded()
    {
        var ring = new StatusRing(4);
        ring.Add(new StatusSample(1, 7, 0, 0, 0, 0));
        Assert.Equal([7L], ring.ToArray().Select(s => s.Depth));
    }

    [Fact]
    public void Hour_HoldsOneHourAtTenSeconds_AfterADayOfSamples()
    {
        var history = new StatusHistory(_time, Interval);
        for (var i = 0; i < 24 * 360; i++)
        {
            history.Record(i, 0, TimeSpan.Zero, 0, 0);
            _time.Advance(Interval);
        }

        var hour = history.Hour();
        Assert.Equal(StatusHistory.HourSamples, hour.Length);
        Assert.Equal(24 * 360 - 1, hour[^1].Depth);
        Assert.Equal(24 * 360 - 360, hour[0].Depth);
    }

    [Fact]
    public void Day_TakesEveryThirtiethInterval_AndKeeps288()
    {
        var history = new StatusHistory(_time, Interval);
        for (var i = 0; i < 2 * 24 * 360; i++)
        {
            history.Record(i, 0, TimeSpan.Zero, 0, 0);
            _time.Advance(Interval);
        }

        var day = history.Day();
        Assert.Equal(StatusHistory.DaySamples, day.Length);
        // Five minutes apart, the last one the newest day slot.
        Assert.All(day.Zip(day.Skip(1)), pair => Assert.Equal(StatusHistory.DayStride, pair.Second.Depth - pair.First.Depth));
        Assert.Equal(TimeSpan.FromMinutes(5).TotalMilliseconds, day[^1].AtUnixMs - day[^2].AtUnixMs);
    }

    [Fact]
    public void Rates_AreTheChangeOfTheTotalsOverTheElapsedTime()
    {
        var history = new StatusHistory(_time, Interval);
        history.Record(0, 0, TimeSpan.Zero, ingestedTotal: 100, forwardedTotal: 40);
        _time.Advance(Interval);
        history.Record(5, 0, TimeSpan.Zero, ingestedTotal: 150, forwardedTotal: 60);

        var latest = history.Hour()[^1];
        Assert.Equal(5.0, latest.IngestPerSecond);
        Assert.Equal(2.0, latest.ForwardPerSecond);
        Assert.Equal(0.0, history.Hour()[0].IngestPerSecond); // the first sample has nothing to compare with
    }

    [Fact]
    public void Rates_OverADaySlot_SpanTheWholeSlot()
    {
        var history = new StatusHistory(_time, Interval);
        for (var i = 0; i <= StatusHistory.DayStride; i++)
        {
            history.Record(0, 0, TimeSpan.Zero, ingestedTotal: i * 10L, forwardedTotal: 0);
            _time.Advance(Interval);
        }

        var day = history.Day();
        Assert.Equal(2, day.Length);
        Assert.Equal(1.0, day[1].IngestPerSecond); // 300 rows over 300 s
    }
}
