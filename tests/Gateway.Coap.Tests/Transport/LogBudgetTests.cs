using Gateway.Coap.Transport.Dtls;

namespace Gateway.Coap.Tests.Transport;

/// <summary>A log budget: so many lines one by one per window, the rest counted and handed over once the window is over.</summary>
public sealed class LogBudgetTests
{
    [Fact]
    public void AllowsItsLinesPerWindow_CountsTheRest_AndReportsThemOnlyOnceTheWindowIsOver()
    {
        var budget = new LogBudget(perWindow: 3, window: 1000);
        Assert.Equal([true, true, true, false, false], Enumerable.Range(0, 5).Select(i => budget.TryTake(100 + i)).ToArray());
        Assert.Equal(0, budget.TakeSuppressed(1099)); // the window (100..1099) is not over
        // After it, and before anyone takes the count: still held back, and counted with the rest.
        Assert.False(budget.TryTake(1100));
        Assert.Equal(3, budget.TakeSuppressed(1101));
        Assert.Equal(0, budget.TakeSuppressed(5000)); // handed over once

        // A fresh window from the report on.
        Assert.Equal([true, true, true, false], Enumerable.Range(0, 4).Select(i => budget.TryTake(1200 + i)).ToArray());
        Assert.Equal(1, budget.TakeSuppressed(2101));
    }

    [Fact]
    public void QuietTraffic_IsNeverHeldBack()
    {
        var budget = new LogBudget(perWindow: 2, window: 1000);
        for (long t = 0; t < 10_000; t += 600) Assert.True(budget.TryTake(t), $"a line at {t} was held back");
        Assert.Equal(0, budget.TakeSuppressed(20_000));
    }
}
