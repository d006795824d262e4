namespace Gateway.Host.Admin;

/// <summary>
/// The graphs' memory: an hour ring (<see cref="HourSamples"/> samples, one per sample interval) and a
/// day ring (<see cref="DaySamples"/> samples, one per <see cref="DayStride"/> intervals). At the default
/// 10 s that is 360 × 10 s and 288 × 5 min, a few tens of KiB however long the gateway runs.
/// </summary>
public sealed class StatusHistory(TimeProvider time, TimeSpan interval)
{
    public const int HourSamples = 360, DaySamples = 288, DayStride = 30;
    private readonly Lock _gate = new();
    private readonly StatusRing _hour = new(HourSamples), _day = new(DaySamples);
    private Mark? _lastHour, _lastDay;

    public TimeSpan Interval => interval;

    public TimeSpan DayInterval => interval * DayStride;

    /// <summary>Records the figures now; the rates are the change of the two totals since the ring's previous sample.</summary>
    public void Record(long depth, long bytes, TimeSpan oldestAge, long ingestedTotal, long forwardedTotal)
    {
        var mark = new Mark(time.GetTimestamp(), ingestedTotal, forwardedTotal);
        var at = time.GetUtcNow().ToUnixTimeMilliseconds();
        lock (_gate)
        {
            _hour.Add(Sample(_lastHour, mark, at, depth, bytes, oldestAge));
            _lastHour = mark;
            // A little slack so a timer tick that lands a hair early does not skip a day slot.
            if (_lastDay is null || time.GetElapsedTime(_lastDay.Timestamp, mark.Timestamp) >= DayInterval - interval / 2)
            {
                _day.Add(Sample(_lastDay, mark, at, depth, bytes, oldestAge));
                _lastDay = mark;
            }
        }
    }

    public StatusSample[] Hour() { lock (_gate) return _hour.ToArray(); }

    public StatusSample[] Day() { lock (_gate) return _day.ToArray(); }

    private StatusSample Sample(Mark? previous, Mark now, long at, long depth, long bytes, TimeSpan oldestAge)
    {
        var seconds = previous is null ? 0 : time.GetElapsedTime(previous.Timestamp, now.Timestamp).TotalSeconds;
        double Rate(long before, long after) => seconds > 0 ? Math.Max(0, after - before) / seconds : 0;
        return new StatusSample(at, depth, bytes, (long)oldestAge.TotalSeconds,
            previous is null ? 0 : Rate(previous.Ingested, now.Ingested), previous is null ? 0 : Rate(previous.Forwarded, now.Forwarded));
    }

    private sealed record Mark(long Timestamp, long Ingested, long Forwarded);
}
