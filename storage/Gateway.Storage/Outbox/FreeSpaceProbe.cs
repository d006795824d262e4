namespace Gateway.Storage.Outbox;

/// <summary>
/// The free space the admission's disk limit counts: the file system's free bytes and SQLite's freelist. A statfs and
/// two PRAGMAs for every group commit were a quarter of its CPU (issue 21), so a probe is reused while it cannot matter:
/// for up to <see cref="MaxAge"/>, less every accounted byte the queue has grown by since, and only while that estimate
/// stays <see cref="FarMargin"/> above the reserve. Near the reserve every batch probes again, as before; far from it,
/// what another process fills within a second comes out of the margin, and a disk that is full all the same refuses
/// the commit (SQLITE_FULL: 5.03, nothing acknowledged).
/// </summary>
internal sealed class FreeSpaceProbe(Func<long> freeBytes, Func<long> freelistBytes, TimeProvider time, long reserve)
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(1);

    public const long FarMargin = 64L << 20;

    private long _free = -1;
    private long _queueBytesAtProbe;
    private long _probedAt;

    /// <summary>Free bytes for a batch that starts with <paramref name="queueBytes"/> accounted bytes queued.</summary>
    public long FreeBytes(long queueBytes)
    {
        long now = time.GetTimestamp();
        if (_free >= 0 && time.GetElapsedTime(_probedAt, now) < MaxAge)
        {
            // Rows deleted since only add to the freelist: the estimate never counts them.
            long estimate = _free - Math.Max(0, queueBytes - _queueBytesAtProbe);
            if (estimate - reserve >= FarMargin) return estimate;
        }
        _free = freeBytes() + freelistBytes();
        _queueBytesAtProbe = queueBytes;
        _probedAt = now;
        return _free;
    }
}
