namespace Gateway.Storage.Outbox;

/// <summary>Why an enqueue was refused.</summary>
public enum RefusalReason
{
    /// <summary>Not refused.</summary>
    None,

    /// <summary>MaxQueueBytes reached and nothing droppable is left.</summary>
    QueueFull,

    /// <summary>The free-space reserve (MinFreeBytes) reached and nothing droppable is left.</summary>
    DiskReserve,

    /// <summary>SQLite met ENOSPC (SQLITE_FULL); the transaction was rolled back.</summary>
    DiskFull,
}
