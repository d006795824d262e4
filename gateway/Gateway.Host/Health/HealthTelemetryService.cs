using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Gateway.Domain;
using Gateway.Storage.Outbox;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gateway.Host.Health;

/// <summary>
/// The gateway's own health as telemetry of the gateway device itself (<c>v1/devices/me/telemetry</c>,
/// where ThingsBoard's gateway dashboards look), written to the outbox every
/// <c>Gateway:HealthIntervalSeconds</c> (first row at start) so the bridge forwards it and an outage
/// shows as a gap-free history once the link is back; and, once at start, its client attributes
/// (<c>v1/devices/me/attributes</c>): version, architecture, operating system, .NET runtime, start time.
/// The outbox rows carry <c>Gateway:Name</c> as their device column, a label only.
/// </summary>
public sealed class HealthTelemetryService(
    IOutbox outbox,
    GatewayFigures figures,
    IOptions<GatewayOptions> options,
    TimeProvider time,
    ILogger<HealthTelemetryService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.HealthIntervalSeconds == 0) return;
        var device = options.Value.EffectiveName;
        await EnqueueAsync(device, OutboxMessageKind.GatewayAttributes, Attributes(), stoppingToken).ConfigureAwait(false);
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.HealthIntervalSeconds), time);
        do
        {
            try
            {
                var values = await figures.CollectAsync(stoppingToken).ConfigureAwait(false);
                var payload = UplinkPayloads.Telemetry([(time.GetUtcNow().ToUnixTimeMilliseconds(), values)]);
                await EnqueueAsync(device, OutboxMessageKind.GatewayTelemetry, payload, stoppingToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                Log.HealthFailed(logger, e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    private async Task EnqueueAsync(string device, OutboxMessageKind kind, byte[] payload, CancellationToken cancellationToken)
    {
        var message = new OutboxMessage(device, kind, payload) { ReceivedAt = time.GetUtcNow() };
        var result = await outbox.EnqueueAsync(message, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (result.Status != EnqueueStatus.Committed) Log.HealthNotStored(logger, device, result.Status.ToString(), result.Refusal.ToString());
    }

    private byte[] Attributes() => JsonBytes.Of(new JsonObject
    {
        ["version"] = typeof(HealthTelemetryService).Assembly.GetName().Version?.ToString(3) ?? "0.0.0",
        ["architecture"] = RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant(),
        ["os"] = RuntimeInformation.OSDescription,
        ["runtime"] = RuntimeInformation.FrameworkDescription,
        ["started_at"] = time.GetUtcNow().ToUnixTimeMilliseconds(),
        ["name"] = options.Value.EffectiveName,
    });
}
