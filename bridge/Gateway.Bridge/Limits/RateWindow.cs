namespace Gateway.Bridge.Limits;

/// <summary>
/// One window of a ThingsBoard rate string: at most <see cref="Capacity"/> per <see cref="Seconds"/>
/// (<c>"100:1"</c> = 100 per second). ThingsBoard builds a bucket4j bandwidth of that capacity
/// refilled greedily over the period (<c>TbRateLimits</c>), i.e. a token bucket starting full.
/// </summary>
public readonly record struct RateWindow(long Capacity, long Seconds)
{
    /// <summary>Tokens per second the window refills.</summary>
    public double PerSecond => (double)Capacity / Seconds;

    public override string ToString() => $"{Capacity}:{Seconds}";
}
