using Gateway.Bridge;
using Gateway.Bridge.Firmware;
using Gateway.Host.Health;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Gateway.Host.Bridge;

public static class BridgeHostingExtensions
{
    /// <summary>
    /// The ThingsBoard bridge (outbox → MQTT, downlinks → storage) with its <c>Mqtt</c>/<c>Bridge</c>
    /// options, firmware downloads (<c>Firmware</c>), its <see cref="Gateway.Domain.ICloudLink"/> (read by <see cref="LinkStatus"/>) and its
    /// meter <c>CoapGateway.Bridge</c> (exported by <c>/metrics</c>). With <c>Mqtt:Host</c> set, the
    /// forwarder's heartbeat becomes a liveness probe, so a stuck forwarder stops the systemd
    /// watchdog. Register after storage, so the bridge stops before the database closes.
    /// </summary>
    public static IHostApplicationBuilder AddBridge(this IHostApplicationBuilder builder)
    {
        builder.Services.AddThingsBoardBridge(builder.Configuration);
        builder.Services.AddFirmwareDownloads(builder.Configuration, online: !string.IsNullOrWhiteSpace(builder.Configuration["Mqtt:Host"]));
        // Created at start so its instruments exist for /metrics and dotnet-counters even in buffer-only mode.
        builder.Services.AddHostedService(sp => new ResolveAtStart<BridgeMetrics>(sp.GetRequiredService<BridgeMetrics>()));
        if (!string.IsNullOrWhiteSpace(builder.Configuration["Mqtt:Host"]))
        {
            // The forwarder beats at least about once a second while healthy (BridgeStatus.Heartbeat); 30 s of silence is a hang.
            builder.Services.AddLivenessProbe(sp =>
            {
                var status = sp.GetRequiredService<BridgeStatus>();
                return new ProgressProbe("forwarder", () => status.Heartbeat, TimeSpan.FromSeconds(30), sp.GetRequiredService<TimeProvider>());
            });
        }
        return builder;
    }
}
