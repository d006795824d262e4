namespace Gateway.Storage.Outbox;

/// <summary>
/// Result of an enqueue. Refusal is a value, not an exception: it is expected under pressure and
/// the device layer maps it straight to 5.03 + Max-Age(<see cref="RetryAfter"/>).
/// </summary>
public readonly record struct EnqueueResult(
    EnqueueStatus Status,
    long Id,
    ReadOnlyMemory<byte> CachedResponse,
    RefusalReason Refusal,
    TimeSpan RetryAfter)
{
    public static EnqueueResult Committed(long id) => new(EnqueueStatus.Committed, id, default, RefusalReason.None, default);

    public static EnqueueResult Duplicate(ReadOnlyMemory<byte> response) => new(EnqueueStatus.Duplicate, 0, response, RefusalReason.None, default);

    public static EnqueueResult Refused(RefusalReason reason, TimeSpan retryAfter) => new(EnqueueStatus.Refused, 0, default, reason, retryAfter);
}
