namespace Gateway.Storage.Outbox;

/// <summary>
/// Counter changes made inside a transaction, applied to the in-memory counters only after the
/// commit succeeded (a rolled-back batch must not move them). The group commit reuses one (<see cref="Reset"/>).
/// </summary>
internal sealed class OutboxBatchDelta
{
    public long Bytes { get; set; }
    public long Depth { get; set; }
    public long DeadLetters { get; set; }
    /// <summary>Rows dropped to make room or expired, by kind and reason; null until the first (most batches drop none).</summary>
    public Dictionary<DropKey, long>? Drops { get; private set; }

    public void Reset()
    {
        Bytes = Depth = DeadLetters = 0;
        Drops?.Clear();
    }

    public void Dropped(OutboxMessageKind kind, DropReason reason, long size)
    {
        var key = new DropKey(kind, reason);
        Drops ??= [];
        Drops[key] = Drops.GetValueOrDefault(key) + 1;
        Bytes -= size;
        Depth--;
    }

    public void Add(OutboxBatchDelta other)
    {
        Bytes += other.Bytes;
        Depth += other.Depth;
        DeadLetters += other.DeadLetters;
        if (other.Drops is null) return;
        Drops ??= [];
        foreach (var (key, count) in other.Drops)
        {
            Drops[key] = Drops.GetValueOrDefault(key) + count;
        }
    }
}
