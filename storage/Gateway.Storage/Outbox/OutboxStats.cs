namespace Gateway.Storage.Outbox;

/// <summary>Outbox figures for <c>/metrics</c> and <c>coap-gateway status</c>.</summary>
/// <param name="Depth">Rows waiting (leased or not).</param>
/// <param name="Bytes">Accounted bytes of those rows (what MaxQueueBytes bounds).</param>
/// <param name="OldestAge">Store-clock age of the oldest row; zero when empty.</param>
/// <param name="Drops">Rows dropped since the database was created, by kind and reason.</param>
/// <param name="DeadLetters">Rows moved to the dead-letter table since the database was created.</param>
/// <param name="Commits">Enqueue transactions committed by this instance (each one fsync of the WAL).</param>
public sealed record OutboxStats(
    long Depth,
    long Bytes,
    TimeSpan OldestAge,
    IReadOnlyDictionary<DropKey, long> Drops,
    long DeadLetters,
    long Commits)
{
    /// <summary>All drops, whatever the kind and reason.</summary>
    public long TotalDrops => Drops.Values.Sum();

    /// <summary>Drops of one kind for one reason (0 if none).</summary>
    public long DropsOf(OutboxMessageKind kind, DropReason reason) => Drops.GetValueOrDefault(new DropKey(kind, reason));
}
