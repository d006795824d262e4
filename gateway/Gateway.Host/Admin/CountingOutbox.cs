using Gateway.Storage;
using Gateway.Storage.Outbox;

namespace Gateway.Host.Admin;

/// <summary>The outbox, with every committed row counted in <see cref="DeviceActivity"/> (the page's "last seen" and "messages").</summary>
public sealed class CountingOutbox(IOutbox inner, DeviceActivity activity) : IOutbox
{
    public IOutbox Inner => inner;

    public Task Opened => inner.Opened;

    // No asynchronous method of its own: this wraps every durable write of a default installation (issue 21).
    public ValueTask<EnqueueResult> EnqueueAsync(OutboxMessage message, DedupRecord? dedup = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message.Device, nameof(message)); // default(OutboxMessage)
        return MappedValueTask<EnqueueResult, (DeviceActivity Activity, string Device), EnqueueResult>.Map(
            inner.EnqueueAsync(message, dedup, cancellationToken), (activity, message.Device), static (result, write) =>
            {
                if (result.Status == EnqueueStatus.Committed) write.Activity.Seen(write.Device);
                return result;
            });
    }

    public ValueTask<byte[]?> TryGetDedupAsync(string peer, int messageId, CancellationToken cancellationToken = default) => inner.TryGetDedupAsync(peer, messageId, cancellationToken);

    public ValueTask<IReadOnlyList<OutboxEntry>> LeaseAsync(int maxMessages, TimeSpan leaseFor, CancellationToken cancellationToken = default) => inner.LeaseAsync(maxMessages, leaseFor, cancellationToken);

    public ValueTask<int> AckAsync(IReadOnlyCollection<long> ids, CancellationToken cancellationToken = default) => inner.AckAsync(ids, cancellationToken);

    public ValueTask<int> ReleaseAsync(IReadOnlyCollection<long> ids, CancellationToken cancellationToken = default) => inner.ReleaseAsync(ids, cancellationToken);

    public ValueTask<int> DeadLetterAsync(IReadOnlyCollection<long> ids, DeadLetterCause cause, string reason, CancellationToken cancellationToken = default) => inner.DeadLetterAsync(ids, cause, reason, cancellationToken);

    public ValueTask<int> PurgeExpiredAsync(CancellationToken cancellationToken = default) => inner.PurgeExpiredAsync(cancellationToken);

    public ValueTask<OutboxStats> GetStatsAsync(CancellationToken cancellationToken = default) => inner.GetStatsAsync(cancellationToken);

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
