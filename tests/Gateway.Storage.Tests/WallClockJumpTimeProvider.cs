using Gateway.TestKit;

namespace Gateway.Storage.Tests;

/// <summary>
/// A manual clock whose wall time can jump (NTP after a power cut) while the monotonic timestamp
/// does not, which is what a Pi without an RTC sees.
/// </summary>
public sealed class WallClockJumpTimeProvider(ManualTimeProvider inner) : TimeProvider
{
    private TimeSpan _offset;

    public void JumpWallClock(TimeSpan by) => _offset += by;

    public override DateTimeOffset GetUtcNow() => inner.GetUtcNow() + _offset;

    public override long GetTimestamp() => inner.GetTimestamp();

    public override long TimestampFrequency => inner.TimestampFrequency;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        inner.CreateTimer(callback, state, dueTime, period);
}
