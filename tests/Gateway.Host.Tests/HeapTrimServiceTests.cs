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
}
