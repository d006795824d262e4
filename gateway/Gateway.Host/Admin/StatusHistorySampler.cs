using Gateway.Bridge;
using Gateway.Host.Storage;
using Microsoft.Extensions.Hosting;

namespace Gateway.Host.Admin;

/// <summary>Feeds <see cref="StatusHistory"/> every <c>Admin:SampleSeconds</c> from the same outbox figures <c>/metrics</c> reads.</summary>
public sealed class StatusHistorySampler(StatusHistory history, OutboxStatsSampler outbox, DeviceActivity activity, BridgeStatus bridge, TimeProvider time) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(history.Interval, time);
        do
        {
            // Fresh for this sample, but shared with a scrape or page poll that just refreshed.
            var stats = await outbox.RefreshAsync(history.Interval / 2, stoppingToken).ConfigureAwait(false);
            history.Record(stats.Depth, stats.Bytes, stats.OldestAge, activity.Total, bridge.Snapshot().RowsForwarded);
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }
}
