using Gateway.Storage.Outbox;
using Gateway.TestKit;

namespace Gateway.Storage.Tests.Outbox;

/// <summary>
/// When the outbox asks the file system again (<see cref="FreeSpaceProbe"/>): every batch near the reserve; far from it,
/// once a second, with the queue's growth since taken off the last figure.
/// </summary>
public sealed class FreeSpaceProbeTests
{
    private const long Reserve = 64L << 20;

    private readonly ManualTimeProvider _clock = new();
    private long _free, _freelist;
    private int _probes;

    private FreeSpaceProbe NewProbe() => new(() => { _probes++; return _free; }, () => _freelist, _clock, Reserve);

    [Fact]
    public void FarFromTheReserve_ReusesTheProbeForASecond_LessTheQueuesGrowth()
    {
        (_free, _freelist) = (10L << 30, 4096);
        var probe = NewProbe();

        Assert.Equal((10L << 30) + 4096, probe.FreeBytes(queueBytes: 1_000));
        _free = 5L << 30; // not looked at within the second
        Assert.Equal((10L << 30) + 4096 - 500_000, probe.FreeBytes(queueBytes: 501_000));
        Assert.Equal((10L << 30) + 4096, probe.FreeBytes(queueBytes: 0)); // deleted rows never add to the figure
        Assert.Equal(1, _probes);

        _clock.Advance(FreeSpaceProbe.MaxAge);
        Assert.Equal(5L << 30, probe.FreeBytes(queueBytes: 0) - 4096);
        Assert.Equal(2, _probes);
    }

    [Fact]
    public void NearTheReserve_ProbesEveryBatch()
    {
        _free = Reserve + FreeSpaceProbe.FarMargin - 1;
        var probe = NewProbe();

        probe.FreeBytes(0);
        _free = Reserve - 50; // something else filled the disk
        Assert.Equal(Reserve - 50, probe.FreeBytes(0));
        Assert.Equal(2, _probes);
    }

    [Fact]
    public void GrowthThatBringsTheEstimateNearTheReserve_ProbesAgain()
    {
        _free = Reserve + FreeSpaceProbe.FarMargin + 1_000;
        var probe = NewProbe();

        probe.FreeBytes(0);
        Assert.Equal(Reserve + FreeSpaceProbe.FarMargin, probe.FreeBytes(1_000)); // exactly the margin left: reused
        Assert.Equal(1, _probes);
        _free = Reserve;
        Assert.Equal(Reserve, probe.FreeBytes(1_001));
        Assert.Equal(2, _probes);
    }
}
