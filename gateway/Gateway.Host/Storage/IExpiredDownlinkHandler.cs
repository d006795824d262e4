using Gateway.Storage.Downlinks;

namespace Gateway.Host.Storage;

/// <summary>
/// Receives downlinks the maintenance sweep marked Expired (so the bridge can report RPC timeouts to
/// the cloud). Register with <c>services.AddSingleton&lt;IExpiredDownlinkHandler, …&gt;()</c>; without
/// one, expired downlinks are only counted in the log.
/// </summary>
public interface IExpiredDownlinkHandler
{
    Task HandleAsync(IReadOnlyList<Downlink> expired, CancellationToken cancellationToken);
}
