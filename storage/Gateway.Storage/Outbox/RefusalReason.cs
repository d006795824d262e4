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

    /// <summary>
    /// The commit failed for a reason the storage can recover from by itself: an I/O error (EIO on a write or an
    /// fsync), a file system remounted read-only, a file that cannot be opened, a lock held too long. The transaction
    /// was rolled back; the next batch tries again.
    /// </summary>
    StorageUnavailable,
}
