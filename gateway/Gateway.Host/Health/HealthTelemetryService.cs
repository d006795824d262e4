using System.Text.Json.Nodes;
using Gateway.Domain;
using Gateway.Host.Coap;
using Gateway.Host.Storage;
using Gateway.Storage.Outbox;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gateway.Host.Health;

/// <summary>
/// The gateway's own health as telemetry of the device <c>Gateway:Name</c>, written to the outbox
/// every <c>Gateway:HealthIntervalSeconds</c> (first row at start) like any device's telemetry, so
/// the bridge forwards it and an outage shows as a gap-free history once the link is back.
/// </summary>
public sealed class HealthTelemetryService(
    IOutbox outbox,
    OutboxStatsSampler stats,
    DeviceCensus devices,
    LinkStatus link,
    Uptime uptime,
    CoapListenerService coap,
    IOptions<GatewayOptions> options,
    TimeProvider time,
    ILogger<HealthTelemetryService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.HealthIntervalSeconds == 0) return;
        var device = options.Value.EffectiveName;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.HealthIntervalSeconds), time);
        do
        {
            try
            {
                var message = new OutboxMessage(device, OutboxMessageKind.Telemetry, await BuildPayloadAsync(stoppingToken).ConfigureAwait(false))
                {
                    ReceivedAt = time.GetUtcNow(),
                };
                var result = await outbox.EnqueueAsync(message, cancellationToken: stoppingToken).ConfigureAwait(false);
                if (result.Status != EnqueueStatus.Committed) Log.HealthNotStored(logger, device, result.Status.ToString(), result.Refusal.ToString());
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                Log.HealthFailed(logger, e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    private async Task<byte[]> BuildPayloadAsync(CancellationToken cancellationToken)
    {
        var figures = await stats.RefreshAsync(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
        await devices.RefreshAsync(TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
        var values = new JsonObject
        {
            ["uptime_s"] = (long)uptime.Elapsed.TotalSeconds,
            ["queue_depth"] = figures.Depth,
            ["queue_bytes"] = figures.Bytes,
            ["queue_oldest_age_s"] = (long)figures.OldestAge.TotalSeconds,
            ["queue_drops"] = figures.TotalDrops,
            ["dead_letters"] = figures.DeadLetters,
            ["devices"] = devices.Total,
            ["link"] = LinkStatus.Describe(link.State),
        };
        if (coap.IsStarted)
        {
            values["coap_datagrams"] = coap.Endpoint.Statistics.DatagramsReceived;
            values["coap_requests"] = coap.Endpoint.Statistics.Requests;
            values["coap_malformed"] = coap.Endpoint.Statistics.Malformed;
        }
        return UplinkPayloads.Telemetry([(time.GetUtcNow().ToUnixTimeMilliseconds(), values)]);
    }
}
