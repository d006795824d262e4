using Gateway.Storage.Outbox;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gateway.Host.Storage;

/// <summary>
/// Runs the outbox sweep nothing else schedules: rows past MaxAge and expired dedup records
/// (<see cref="IOutbox.PurgeExpiredAsync"/>). Downlink expiry is not swept here: the device side's
/// RPC expiry reporter is the downlink queue's only sweeper, because each expired RPC must be
/// reported upstream exactly once. A failed sweep is logged and retried; it is not worth a restart.
/// </summary>
public sealed class StorageMaintenanceService(
    IOutbox outbox,
    IOptions<StorageMaintenanceOptions> options,
    TimeProvider time,
    ILogger<StorageMaintenanceService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await outbox.Opened.WaitAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return; // StorageService reports it and stops the gateway: nothing to maintain
        }
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.MaintenanceIntervalSeconds), time);
        do
        {
            try
            {
                var rows = await outbox.PurgeExpiredAsync(stoppingToken).ConfigureAwait(false);
                if (rows > 0) Log.MaintenanceExpired(logger, rows);
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                Log.MaintenanceFailed(logger, e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }
}
