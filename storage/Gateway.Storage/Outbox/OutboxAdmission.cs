namespace Gateway.Storage.Outbox;

/// <summary>
/// Admits rows into one SQLite batch under the limits: inserts, and when the row does not fit,
/// compacts attribute rows, then drops the oldest telemetry, all inside a savepoint that is rolled
/// back (drops included) if that still does not make room. A struct: one per group commit, kept in a local.
/// </summary>
internal struct OutboxAdmission
{
    private const int TelemetryScan = 256;

    private readonly OutboxTable _table;
    private readonly long _now;
    private readonly long _startBytes;
    private readonly long _limit;
    private readonly DropReason _binding;

    /// <param name="freeBytes">Free bytes at the batch's start, SQLite's freelist included (<see cref="FreeSpaceProbe"/>).</param>
    public OutboxAdmission(OutboxTable table, StorageOptions options, long now, long queueBytes, long freeBytes)
    {
        _table = table;
        _now = now;
        _startBytes = queueBytes;
        // Once per batch: rows added by this batch are not on disk yet, so the limit stays what the file system
        // allowed at the start (space SQLite can reuse counts as free).
        (_limit, _binding) = OutboxPolicy.Capacity(options, queueBytes, freeBytes);
    }

    public RefusalReason LastRefusal { get; private set; }

    /// <summary>Inserts the row, making room if needed; null (and nothing changed) if no room can be made.</summary>
    public long? TryInsert(OutboxMessage message, BatchTransaction transaction, OutboxBatchDelta delta)
    {
        var size = OutboxPolicy.AccountedSize(message);
        var needed = _startBytes + delta.Bytes + size - _limit;
        if (needed <= 0)
        {
            var id = _table.Insert(message, size, _now);
            delta.Bytes += size;
            delta.Depth++;
            return id;
        }

        transaction.Save();
        _table.DeviceRows.Save();
        var local = new OutboxBatchDelta();
        var selfId = _table.Insert(message, size, _now);
        local.Bytes += size;
        local.Depth++;
        long freed = 0;
        foreach (var (id, _) in _table.SupersededAttributeRows())
        {
            if (_table.Delete(id) is { } row)
            {
                local.Dropped(row.Kind, DropReason.Compacted, row.Size);
                freed += row.Size;
            }
        }
        while (freed < needed)
        {
            var oldest = _table.OldestTelemetry(selfId, TelemetryScan);
            if (oldest.Count == 0)
            {
                break;
            }
            foreach (var (id, _) in oldest)
            {
                if (_table.Delete(id) is { } row)
                {
                    local.Dropped(row.Kind, _binding, row.Size);
                    freed += row.Size;
                }
                if (freed >= needed)
                {
                    break;
                }
            }
        }

        if (freed < needed)
        {
            transaction.RollbackToSave();
            _table.DeviceRows.RollbackSavepoint();
            LastRefusal = OutboxPolicy.RefusalFor(_binding);
            return null;
        }
        transaction.ReleaseSave();
        _table.DeviceRows.ReleaseSavepoint();
        delta.Add(local);
        return selfId;
    }
}
