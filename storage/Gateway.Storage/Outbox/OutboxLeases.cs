namespace Gateway.Storage.Outbox;

/// <summary>
/// The rows in flight, held by the process that owns the outbox and nowhere else. A lease only means
/// something while its owner runs (every lease ends when the outbox is opened again), so writing it
/// into the table cost a write transaction and an fsync per batch for nothing that must survive a
/// crash, and made every device write wait behind it (docs/performance.md, "Leases in memory"). What must survive,
/// how often a row was tried, is written when a lease ends without delivery (release, dead letter,
/// expiry, a clean stop). Each lease keeps its row's device, accounted size and whether it has attribute keys, so
/// the acknowledgement deletes without reading the rows first. Not thread-safe: the outbox uses it under its one gate.
/// </summary>
internal sealed class OutboxLeases
{
    private readonly Dictionary<long, LeasedRow> _leased = [];
    private long _earliest = long.MaxValue;
    private string? _json = "[]";

    /// <summary>Rows leased (leases that ran out count until <see cref="TakeExpired"/> takes them back).</summary>
    public int Count => _leased.Count;

    /// <summary>Whether <paramref name="id"/> is leased (a lease that ran out counts until <see cref="TakeExpired"/> takes it back).</summary>
    public bool IsLeased(long id) => _leased.ContainsKey(id);

    public void Add(IReadOnlyList<(OutboxEntry Entry, long Size)> rows, long until)
    {
        // An empty lease (an idle forwarder's poll) changes nothing, and keeps the cached JSON.
        if (rows.Count == 0) return;
        foreach (var (entry, size) in rows)
            _leased[entry.Id] = new LeasedRow(entry.Id, until, entry.Message.Device, size, entry.Message.Kind == OutboxMessageKind.ClientAttributes);
        _earliest = Math.Min(_earliest, until);
        _json = null;
    }

    /// <summary>Ends the lease of <paramref name="id"/>; false if it held none (never leased, or ended already).</summary>
    public bool Remove(long id) => Remove(id, out _);

    /// <summary>Ends the lease of <paramref name="id"/> and returns what it kept of the row; false if it held none.</summary>
    public bool Remove(long id, out LeasedRow row)
    {
        if (!_leased.Remove(id, out row)) return false;
        _json = null;
        return true;
    }

    /// <summary>Removes the leases that ran out at <paramref name="now"/> and returns their rows, which go back to the queue.</summary>
    public IReadOnlyList<long> TakeExpired(long now)
    {
        // Called before every commit, device writes included: a glance, and no allocation, unless a lease ran out.
        if (now < _earliest) return [];
        var expired = new List<long>();
        _earliest = long.MaxValue;
        foreach (var (id, row) in _leased)
        {
            if (row.Until <= now) expired.Add(id);
            else _earliest = Math.Min(_earliest, row.Until);
        }
        foreach (var id in expired) _leased.Remove(id);
        if (expired.Count > 0) _json = null;
        return expired;
    }

    /// <summary>The leased ids as a JSON array, for an <c>id IN (SELECT value FROM json_each(…))</c> condition; built once per change.</summary>
    public string Json => _json ??= OutboxTable.IdArray(_leased.Keys);

    /// <summary>A leased row: until when (store clock), and the facts its delete needs.</summary>
    public readonly record struct LeasedRow(long Id, long Until, string Device, long Size, bool Keyed);
}
