using Gateway.Storage;

namespace Gateway.Host.Storage;

/// <summary>One-line problems of the <c>Storage</c> section (Gateway.Storage trusts its options; the host checks them).</summary>
public static class StorageOptionsValidation
{
    public const string Section = "Storage";

    public static IEnumerable<string> Validate(StorageOptions o)
    {
        if (string.IsNullOrWhiteSpace(o.DataDir)) yield return $"{Section}:DataDir: empty";
        if (string.IsNullOrWhiteSpace(o.DatabaseFileName) || o.DatabaseFileName.IndexOfAny(['/', '\\']) >= 0)
            yield return $"{Section}:DatabaseFileName: '{o.DatabaseFileName}' is not a file name";
        if (o.MaxQueueBytes < 1 << 20) yield return $"{Section}:MaxQueueBytes: {o.MaxQueueBytes} is below the minimum of 1048576 (1 MiB)";
        if (o.MaxAge <= TimeSpan.Zero) yield return $"{Section}:MaxAge: {o.MaxAge} is not positive";
        if (o.DeadLetterMaxAge <= TimeSpan.Zero) yield return $"{Section}:DeadLetterMaxAge: {o.DeadLetterMaxAge} is not positive";
        if (o.DeadLetterMaxBytes < 0) yield return $"{Section}:DeadLetterMaxBytes: {o.DeadLetterMaxBytes} is negative";
        if (o.MinFreeBytes < 0) yield return $"{Section}:MinFreeBytes: {o.MinFreeBytes} is negative";
        if (o.GroupCommitWindow < TimeSpan.Zero || o.GroupCommitWindow > TimeSpan.FromSeconds(1))
            yield return $"{Section}:GroupCommitWindow: {o.GroupCommitWindow} is not between 0 and 1 second";
        if (o.MaxBatchSize < 1) yield return $"{Section}:MaxBatchSize: {o.MaxBatchSize} is below 1";
        if (o.BusyTimeout < TimeSpan.Zero) yield return $"{Section}:BusyTimeout: {o.BusyTimeout} is negative";
        if (o.RefusalRetryAfter < TimeSpan.Zero) yield return $"{Section}:RefusalRetryAfter: {o.RefusalRetryAfter} is negative";
        if (o.DataportHistory < 1) yield return $"{Section}:DataportHistory: {o.DataportHistory} is below 1";
        if (o.ContentChunkSize is < 1024 or > 1 << 20) yield return $"{Section}:ContentChunkSize: {o.ContentChunkSize} is not between 1024 and 1048576";
        // RFC 7959 §4: Size2 is at most four bytes, so a larger body could not even announce its size.
        if (o.MaxContentBytes is < 1 or > uint.MaxValue) yield return $"{Section}:MaxContentBytes: {o.MaxContentBytes} is not between 1 and {uint.MaxValue}";
        if (!Enum.IsDefined(o.IntegrityCheckOnOpen)) yield return $"{Section}:IntegrityCheckOnOpen: {o.IntegrityCheckOnOpen} is not None, Quick or Full";
    }
}
