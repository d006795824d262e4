namespace Gateway.Storage;

/// <summary>
/// The clock that queue ages, leases and dedup expiry are measured on: milliseconds of gateway
/// running time, accumulated across restarts.
/// </summary>
/// <remarks>
/// Why not the wall clock: a Pi has no RTC, so after a power cut it may boot in 1970 or jump a year
/// when NTP arrives; a wall-clock TTL would then expire (or immortalise) the whole queue. Why not
/// the raw monotonic clock: it restarts at zero on every boot, so stored values would be meaningless
/// after a power cut. So the store persists its clock with its commits (at most once a second) and
/// resumes from the stored value on open (<see cref="TimeProvider.GetTimestamp"/> drives it meanwhile).
/// The price: time while the gateway is off does not count, so rows live longer than MaxAge of calendar
/// time across long outages, and a crash loses under a second of the clock. Both err towards keeping data.
/// </remarks>
internal sealed class StoreClock
{
    private readonly TimeProvider _time;
    private readonly long _startTimestamp;
    private readonly long _baseMs;

    public StoreClock(TimeProvider time, long baseMs)
    {
        _time = time;
        _baseMs = baseMs;
        _startTimestamp = time.GetTimestamp();
    }

    public long NowMs => _baseMs + (long)_time.GetElapsedTime(_startTimestamp).TotalMilliseconds;
}
