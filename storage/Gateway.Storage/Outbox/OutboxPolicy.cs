using System.Text;

namespace Gateway.Storage.Outbox;

/// <summary>The per-kind rules both outbox implementations share, so they cannot drift apart.</summary>
internal static class OutboxPolicy
{
    /// <summary>Accounted per-row overhead: ids, integers and index entries, roughly what SQLite spends.</summary>
    public const int RowOverhead = 64;

    /// <summary>The store clock is saved with a commit at most this often (store-clock ms): a crash costs the clock less than this.</summary>
    public const long ClockSaveIntervalMs = 1000;

    /// <summary>
    /// A row enqueued this recently (store-clock ms) by a device with no older row is live: leased
    /// before the backlog, so a paced drain after an outage does not delay current data (issue 23).
    /// </summary>
    public const long LiveWindowMs = 10_000;

    public static bool Expires(OutboxMessageKind kind) =>
        kind is OutboxMessageKind.Telemetry or OutboxMessageKind.RpcReply or OutboxMessageKind.Claim or OutboxMessageKind.AttributeRequest
            or OutboxMessageKind.GatewayTelemetry;

    public static bool DroppableForSpace(OutboxMessageKind kind) => kind == OutboxMessageKind.Telemetry;

    public static bool Compactable(OutboxMessageKind kind) => kind == OutboxMessageKind.ClientAttributes;

    public static long AccountedSize(OutboxMessage message)
    {
        long size = RowOverhead + message.Payload.Length + Encoding.UTF8.GetByteCount(message.Device);
        if (!Compactable(message.Kind)) return size;
        foreach (var key in KeysOf(message))
        {
            size += Encoding.UTF8.GetByteCount(key);
        }
        return size;
    }

    public static IEnumerable<string> KeysOf(OutboxMessage message) =>
        Compactable(message.Kind) ? message.AttributeKeys.Distinct(StringComparer.Ordinal) : [];

    /// <summary>
    /// How many accounted bytes the queue may hold now, and which limit binds. Free space counts as
    /// queue room one for one; <see cref="StorageOptions.MinFreeBytes"/> has to cover the slack
    /// (WAL, indexes, page fill) that the accounting leaves out.
    /// </summary>
    public static (long Limit, DropReason Binding) Capacity(StorageOptions options, long queueBytes, long? freeBytes)
    {
        var limit = options.MaxQueueBytes;
        var binding = DropReason.QueueFull;
        if (freeBytes is { } free)
        {
            var diskLimit = queueBytes + free - options.MinFreeBytes;
            if (diskLimit < limit)
            {
                limit = diskLimit;
                binding = DropReason.DiskReserve;
            }
        }
        return (limit, binding);
    }

    public static RefusalReason RefusalFor(DropReason binding) =>
        binding == DropReason.DiskReserve ? RefusalReason.DiskReserve : RefusalReason.QueueFull;

    /// <summary>Free bytes for an unprivileged writer on the file system holding <paramref name="directory"/>.</summary>
    public static long FreeBytesOf(string directory) => new DriveInfo(Path.GetFullPath(directory)).AvailableFreeSpace;
}
