namespace Gateway.Storage.Outbox;

/// <summary>Why rows left the outbox without being delivered. Stored as its number.</summary>
public enum DropReason
{
    /// <summary>Older than MaxAge on the store clock.</summary>
    Expired = 1,

    /// <summary>Oldest telemetry removed to stay under MaxQueueBytes.</summary>
    QueueFull = 2,

    /// <summary>Oldest telemetry removed to keep MinFreeBytes free on the file system.</summary>
    DiskReserve = 3,

    /// <summary>Attribute row whose every key was superseded by a later row of the same device.</summary>
    Compacted = 4,
}
