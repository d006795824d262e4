using Microsoft.Extensions.Logging;

namespace Gateway.Storage.Outbox;

/// <summary>Log events of the outbox, with fixed ids. Device names may appear; payloads and credentials never do.</summary>
internal static partial class OutboxLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Error, Message = "Outbox commit of {Count} enqueues failed; the device layer answers 5.00")]
    public static partial void CommitFailed(ILogger logger, int count, Exception exception);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Disk full while committing {Count} enqueues (SQLITE_FULL); refused, nothing acknowledged was lost")]
    public static partial void DiskFull(ILogger logger, int count);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Outbox dropped {Count} rows ({Reason}) to make room")]
    public static partial void Dropped(ILogger logger, long count, DropReason reason);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "Outbox refused an enqueue: {Reason}, nothing left that may be dropped")]
    public static partial void Refused(ILogger logger, RefusalReason reason);

    [LoggerMessage(EventId = 6, Level = LogLevel.Error, Message = "Outbox commit of {Count} enqueues failed ({Error}); refused with 5.03, nothing was acknowledged; the next batch tries again")]
    public static partial void StorageUnavailable(ILogger logger, int count, string error);

    [LoggerMessage(EventId = 7, Level = LogLevel.Information, Message = "Outbox commits succeed again after {Failures} failed commits")]
    public static partial void StorageRecovered(ILogger logger, long failures);

    [LoggerMessage(EventId = 5, Level = LogLevel.Information, Message = "Outbox opened: {Depth} rows, {Bytes} bytes queued")]
    public static partial void Opened(ILogger logger, long depth, long bytes);

    [LoggerMessage(EventId = 20, Level = LogLevel.Information, Message = "Dead letter {Id} moved back to the outbox (marked for retry by the operator)")]
    public static partial void DeadLetterRetried(ILogger logger, long id);

    [LoggerMessage(EventId = 21, Level = LogLevel.Information, Message = "{Count} dead letters pruned (older than Storage:DeadLetterMaxAge or over Storage:DeadLetterMaxBytes)")]
    public static partial void DeadLettersPruned(ILogger logger, int count);
}
