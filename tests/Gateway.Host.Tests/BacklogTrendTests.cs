using Gateway.Host.Health;
using Gateway.TestKit;

namespace Gateway.Host.Tests;

/// <summary>The drain rate and time-to-empty that <c>status</c> shows (issue 20.5), on a scripted clock.</summary>
public sealed class BacklogTrendTests
{
    [Fact]
    public void OneSample_NoRatesYet()
    {
        var time = new ManualTimeProvider();
        var trend = new BacklogTrend(time);
        trend.Add(depth: 1000, rowsForwarded: 0);
        Assert.Null(trend.Rates());
    }

    [Fact]
    public void Shrinking_DrainNetAndTimeToEmpty()
    {
        var time = new ManualTimeProvider();
        var trend = new BacklogTrend(time);
        // 100 rows/s acknowledged while devices add 20 rows/s: the backlog shrinks by 80 rows/s.
        for (var s = 0; s <= 10; s++)
        {
            trend.Add(depth: 10_000 - 80 * s, rowsForwarded: 100 * s);
            time.Advance(TimeSpan.FromSeconds(1));
        }
        var rates = Assert.IsType<BacklogRates>(trend.Rates());
        Assert.Equal(100, rates.DrainRowsPerSecond, 6);
        Assert.Equal(80, rates.NetRowsPerSecond, 6);
        Assert.Equal(TimeSpan.FromSeconds(115), rates.EmptyIn); // 9,200 rows left at 80 rows/s
    }

    [Fact]
    public void Growing_NoTimeToEmpty()
    {
        var time = new ManualTimeProvider();
        var trend = new BacklogTrend(time);
        trend.Add(depth: 100, rowsForwarded: 0);
        time.Advance(TimeSpan.FromSeconds(10));
        trend.Add(depth: 150, rowsForwarded: 0);
        var rates = Assert.IsType<BacklogRates>(trend.Rates());
        Assert.Equal(0, rates.DrainRowsPerSecond);
        Assert.Equal(-5, rates.NetRowsPerSecond, 6);
        Assert.Null(rates.EmptyIn);
    }

    [Fact]
    public void OnlyTheLastMinuteCounts()
    {
        var time = new ManualTimeProvider();
        var trend = new BacklogTrend(time);
        // A fast first burst after a reconnect, then ten minutes at 10 rows/s.
        trend.Add(depth: 100_000, rowsForwarded: 0);
        time.Advance(TimeSpan.FromSeconds(10));
        trend.Add(depth: 50_000, rowsForwarded: 50_000);
        for (var s = 10; s <= 600; s += 10)
        {
            time.Advance(TimeSpan.FromSeconds(10));
            trend.Add(depth: 50_000 - 10 * s, rowsForwarded: 50_000 + 10 * s);
        }
        var rates = Assert.IsType<BacklogRates>(trend.Rates());
        Assert.Equal(10, rates.DrainRowsPerSecond, 6);
        Assert.Equal(10, rates.NetRowsPerSecond, 6);
    }
}
