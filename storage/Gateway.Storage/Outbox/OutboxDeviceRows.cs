using System.Runtime.InteropServices;

namespace Gateway.Storage.Outbox;

/// <summary>
/// How many rows each device has in the outbox, held in memory by the process that owns it. The live-first
/// lease asks of a young row's device "has it an older row?"; this answers without the <c>(device, id)</c> index
/// that every insert and every acknowledgement had to keep (docs/performance.md, "The live-first lease without an index").
/// Changes made in a transaction count once it commits (<see cref="Commit"/>); a rollback drops them
/// (<see cref="Discard"/>). Not thread-safe: the outbox uses it under its one gate.
/// </summary>
internal sealed class OutboxDeviceRows
{
    private readonly Dictionary<string, int> _committed = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _pending = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _savepoint = new(StringComparer.Ordinal);
    private bool _inSavepoint;

    /// <summary>Rows of <paramref name="device"/>, this transaction's changes included.</summary>
    public int Count(string device) =>
        _committed.GetValueOrDefault(device) + _pending.GetValueOrDefault(device) + _savepoint.GetValueOrDefault(device);

    public void Change(string device, int rows) =>
        CollectionsMarshal.GetValueRefOrAddDefault(_inSavepoint ? _savepoint : _pending, device, out _) += rows;

    /// <summary>Beside a SQL savepoint (one level, as the admission uses it): what follows can be rolled back alone.</summary>
    public void Save() => _inSavepoint = true;

    public void RollbackSavepoint()
    {
        _savepoint.Clear();
        _inSavepoint = false;
    }

    public void ReleaseSavepoint()
    {
        _inSavepoint = false;
        Merge(_savepoint, _pending);
    }

    public void Commit()
    {
        ReleaseSavepoint();
        Merge(_pending, _committed);
    }

    public void Discard()
    {
        RollbackSavepoint();
        _pending.Clear();
    }

    private static void Merge(Dictionary<string, int> from, Dictionary<string, int> into)
    {
        foreach (var (device, rows) in from)
        {
            ref int count = ref CollectionsMarshal.GetValueRefOrAddDefault(into, device, out _);
            count += rows;
            if (count == 0) into.Remove(device);
        }
        from.Clear();
    }
}
