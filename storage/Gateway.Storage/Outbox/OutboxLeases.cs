namespace Gateway.Storage.Outbox;

/// <summary>
/// The rows in flight, held by the process that owns the outbox and nowhere else. A lease only means
/// something while its owner runs (every lease ends when the outbox is opened again), so writing it
/// into the table cost a write transaction and an fsync per batch for nothing that must survive a
/// crash, and made every device write wait behind it (README, "Leases in memory"). What must survive,
/// how often a row was tried, is written when a lease ends without delivery (release, dead letter,
/// expiry, a clean stop). Not thread-safe: the outbox uses it under its one gate.
/// </summary>
internal sealed class OutboxLeases
{
    private readonly Dictionary<long, long> _until = [];
    private long _earliest = long.MaxValue;
    private string? _json = "[]";

    /// <summary>Whether <paramref name="id"/> is leased (a lease that ran out counts until <see cref="TakeExpired"/> takes it back).</summary>
    public bool IsLeased(long id) => _until.ContainsKey(id);

    public void Add(IReadOnlyCollection<long> ids, long until)
    {
        // An empty lease (an idle forwarder's poll) changes nothing, and keeps the cached JSON.
        if (ids.Count == 0) return;
        foreach (var id in ids) _until[id] = until;
        _earliest = Math.Min(_earliest, until);
        _json = null;
    }

    /// <summary>Ends the lease of <paramref name="id"/>; false if it held none (never leased, or ended already).</summary>
    public bool Remove(long id)
    {
        if (!_until.Remove(id)) return false;
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
        foreach (var (id, until) in _until)
        {
            if (until <= now) expired.Add(id);
            else _earliest = Math.Min(_earliest, until);
        }
        foreach (var id in expired) _until.Remove(id);
        if (expired.Count > 0) _json = null;
        return expired;
    }

    /// <summary>The leased ids as a JSON array, for an <c>id IN (SELECT value FROM json_each(…))</c> condition; built once per change.</summary>
    public string Json => _json ??= OutboxTable.IdArray(_until.Keys);
}
