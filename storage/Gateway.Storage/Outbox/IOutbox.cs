namespace Gateway.Storage.Outbox;

/// <summary>
/// The uplink queue between the device layer and the cloud forwarder.
/// <list type="bullet">
/// <item>Durability: <see cref="EnqueueAsync"/> completes with <see cref="EnqueueStatus.Committed"/> only after
/// the row and its dedup record are committed (WAL, synchronous=FULL for the SQLite implementation).</item>
/// <item>Order: ids grow in enqueue order. A lease never hands out a device's row while an earlier row of the
/// same device is leased, and returns rows in id order, so delivery is per-device FIFO even across
/// lease expiry and release.</item>
/// <item>Limits: telemetry expires after MaxAge and loses its oldest rows when the queue or the disk is
/// full; client attributes are compacted to the latest row per key; RPC replies, claims and attribute
/// requests expire after MaxAge; connect/disconnect rows stay. When no room can be made the enqueue is
/// refused. Every dropped row is counted by kind and reason. Rows under an active lease are never dropped.</item>
/// <item>Time: ages, leases and dedup expiry use the store clock (monotonic, carried across restarts),
/// never the wall clock.</item>
/// </list>
/// </summary>
public interface IOutbox : IAsyncDisposable
{
    /// <summary>
    /// Completes when the outbox serves. An implementation may return from its constructor before (the SQLite one counts
    /// its rows after it); operations called meanwhile wait for it. Faults if the outbox cannot be opened.
    /// </summary>
    Task Opened => Task.CompletedTask;

    /// <summary>
    /// Stores <paramref name="message"/> and, if given, <paramref name="dedup"/> in one transaction.
    /// If <paramref name="dedup"/>'s (peer, MID) is already recorded and unexpired, nothing is written
    /// and the cached response is returned. Cancelling stops the wait, not a commit already under way:
    /// the row may still be committed, which the dedup record then covers.
    /// </summary>
    ValueTask<EnqueueResult> EnqueueAsync(OutboxMessage message, DedupRecord? dedup = null, CancellationToken cancellationToken = default);

    /// <summary>The cached response for (peer, MID) if it is recorded and unexpired; otherwise null.</summary>
    ValueTask<byte[]?> TryGetDedupAsync(string peer, int messageId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Leases up to <paramref name="maxMessages"/> rows for <paramref name="leaseFor"/>; each entry's
    /// <see cref="OutboxEntry.Attempts"/> counts this lease. Rows the cloud is waiting for (<see cref="OutboxMessageKinds.IsAwaited"/>: RPC replies,
    /// claims, attribute requests) come first, so a backlog of telemetry after an outage does not make
    /// the cloud's RPC time out; then live rows, enqueued in the last 10 s by a device that has no older
    /// row, so current data of other devices is not stuck behind a paced backlog; then everything else in
    /// id order. A device's rows never overtake each other. A device with rows in flight is skipped.
    /// </summary>
    ValueTask<IReadOnlyList<OutboxEntry>> LeaseAsync(int maxMessages, TimeSpan leaseFor, CancellationToken cancellationToken = default);

    /// <summary>
    /// Deletes delivered rows. Unknown ids are ignored. Returns rows deleted. The delete need not be durable by itself
    /// (the SQLite outbox does not wait for an fsync here): a power cut may bring the rows back, to be sent again.
    /// </summary>
    ValueTask<int> AckAsync(IReadOnlyCollection<long> ids, CancellationToken cancellationToken = default);

    /// <summary>Ends the lease of rows that could not be delivered now, so they are leased again first. Returns rows released.</summary>
    ValueTask<int> ReleaseAsync(IReadOnlyCollection<long> ids, CancellationToken cancellationToken = default);

    /// <summary>Moves rows the cloud rejected to the dead-letter table (counted) so they cannot block the queue. Returns rows moved.</summary>
    ValueTask<int> DeadLetterAsync(IReadOnlyCollection<long> ids, DeadLetterCause cause, string reason, CancellationToken cancellationToken = default);

    /// <summary>
    /// Drops rows older than MaxAge (counted as <see cref="DropReason.Expired"/>) and expired dedup records;
    /// moves dead letters marked for retry back to the outbox and prunes old dead letters. Returns rows dropped.
    /// </summary>
    ValueTask<int> PurgeExpiredAsync(CancellationToken cancellationToken = default);

    /// <summary>Depth, bytes, oldest age, drops and dead letters.</summary>
    ValueTask<OutboxStats> GetStatsAsync(CancellationToken cancellationToken = default);
}
