namespace Gateway.Storage.Downlinks;

/// <summary>
/// Per-device downlink queue (RPC requests, attribute changes) with TTL and status, so a sleeping
/// device gets what the cloud sent on its next contact, also after a gateway restart.
/// </summary>
public interface IDownlinkQueue
{
    /// <summary>Queues a downlink that expires <paramref name="ttl"/> from now; returns its id.</summary>
    Task<long> EnqueueAsync(string device, DownlinkKind kind, long? requestId, ReadOnlyMemory<byte> payload, TimeSpan ttl, CancellationToken cancellationToken = default);

    /// <summary>The device's unexpired Pending and Delivered downlinks, oldest first.</summary>
    Task<IReadOnlyList<Downlink>> PendingAsync(string device, CancellationToken cancellationToken = default);

    /// <summary>Moves a downlink to <paramref name="status"/>; false if unknown.</summary>
    Task<bool> SetStatusAsync(long id, DownlinkStatus status, CancellationToken cancellationToken = default);

    /// <summary>Completes the device's RPC with this cloud request id; returns the downlink, or null if unknown, expired or already completed.</summary>
    Task<Downlink?> CompleteRpcAsync(string device, long requestId, CancellationToken cancellationToken = default);

    /// <summary>Marks downlinks past their TTL Expired and returns them (to report RPC timeouts); deletes Completed and previously Expired rows.</summary>
    Task<IReadOnlyList<Downlink>> ExpireAsync(CancellationToken cancellationToken = default);
}
