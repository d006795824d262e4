using Gateway.Host.Health;

namespace Gateway.Host.Tests;

public sealed class HeapTrimServiceTests
{
    private const long MiB = 1 << 20;

    [Theory]
    [InlineData(16 * MiB, 16 * MiB, false)]   // steady state: committed ≈ live
    [InlineData(48 * MiB, 16 * MiB, false)]   // exactly 2 × live + 16 MiB: not yet
    [InlineData(48 * MiB + 1, 16 * MiB, true)]
    [InlineData(120 * MiB, 16 * MiB, true)]   // after 10,000 Observe registrations
    [InlineData(20 * MiB, 1 * MiB, true)]
    [InlineData(17 * MiB, 0, true)]
    public void ShouldTrim_OnlyWhenCommittedFarExceedsLive(long committed, long live, bool expected) =>
        Assert.Equal(expected, HeapTrimService.ShouldTrim(committed, live));

    [Theory]
    [InlineData(120 * MiB, 16 * MiB, 1 * MiB, 1, true)]      // the burst is over: trim within one check
    [InlineData(120 * MiB, 16 * MiB, 2 * MiB - 1, 1, true)]
    [InlineData(120 * MiB, 16 * MiB, 2 * MiB, 1, false)]     // still allocating: wait
    [InlineData(120 * MiB, 16 * MiB, 50 * MiB, 29, false)]
    [InlineData(120 * MiB, 16 * MiB, 50 * MiB, 30, true)]    // but at least once a minute (30 checks of 2 s)
    [InlineData(40 * MiB, 16 * MiB, 0, 1, false)]            // quiet, but nothing worth releasing
    [InlineData(40 * MiB, 16 * MiB, 0, 100, false)]
    public void ShouldTrimNow_AfterTheBurstOrOnceAMinute(long committed, long live, long allocated, int checks, bool expected) =>
        Assert.Equal(expected, HeapTrimService.ShouldTrimNow(committed, live, allocated, checks));
}
