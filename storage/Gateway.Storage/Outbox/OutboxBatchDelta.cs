namespace Gateway.Storage.Outbox;

/// <summary>
/// Counter changes made inside a transaction, applied to the in-memory counters only after the
/// commit succeeded (a rolled-back batch must not move them).
/// </summary>
internal sealed class OutboxBatchDelta
{
    public long Bytes { get; set; }
    public long Depth { get; set; }
    public long DeadLetters { get; set; }
    public Dictionary<DropKey, long> Drops { get; } = [];

    public void Dropped(OutboxMessageKind kind, DropReason reason, long size)
    {
        var key = new DropKey(kind, reason);
        Drops[key] = Drops.GetValueOrDefault(key) + 1;
        Bytes -= size;
        Depth--;
    }

    public void Add(OutboxBatchDelta other)
    {
        Bytes += other.Bytes;
        Depth += other.Depth;
        DeadLetters += other.DeadLetters;
        foreach (var (key, count) in other.Drops)
        {
            Drops[key] = Drops.GetValueOrDefault(key) + count;
        }
    }
}
