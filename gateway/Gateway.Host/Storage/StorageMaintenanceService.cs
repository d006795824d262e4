using Gateway.Storage.Downlinks;
using Gateway.Storage.Outbox;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gateway.Host.Storage;

/// <summary>
/// Runs the storage sweeps nothing else schedules: outbox rows past MaxAge and expired dedup
/// records (<see cref="IOutbox.PurgeExpiredAsync"/>), and downlinks past their TTL
/// (<see cref="IDownlinkQueue.ExpireAsync"/>, handed to every <see cref="IExpiredDownlinkHandler"/>).
/// A failed sweep is logged and retried; it is not worth a restart.
/// </summary>
public sealed class StorageMaintenanceService(
    IOutbox outbox,
    IDownlinkQueue downlinks,
    IServiceProvider services,
    IOptions<StorageMaintenanceOptions> options,
    TimeProvider time,
    ILogger<StorageMaintenanceService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.MaintenanceIntervalSeconds), time);
        do
        {
            try
            {
                var rows = await outbox.PurgeExpiredAsync(stoppingToken).ConfigureAwait(false);
                var expired = await downlinks.ExpireAsync(stoppingToken).ConfigureAwait(false);
                if (expired.Count > 0)
                {
                    foreach (var handler in services.GetServices<IExpiredDownlinkHandler>())
                    {
                        await handler.HandleAsync(expired, stoppingToken).ConfigureAwait(false);
                    }
                }
                if (rows > 0 || expired.Count > 0) Log.MaintenanceDropped(logger, rows, expired.Count);
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                Log.MaintenanceFailed(logger, e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }
}
