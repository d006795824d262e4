using System.Text;
using System.Text.Json.Nodes;
using Gateway.Domain;
using Gateway.Host.Health;
using Gateway.Host.Metrics;
using Gateway.Host.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;

namespace Gateway.Host.Http;

/// <summary>
/// <c>GET /healthz</c>: 200 while storage and the CoAP loop pass their liveness probes (503
/// otherwise, or while starting); the JSON body says whether the cloud link is up. <c>GET /metrics</c>:
/// the Prometheus text format from <see cref="PrometheusExporter"/>.
/// </summary>
public sealed class ObservabilityEndpoints(HealthMonitor health, LinkStatus link, PrometheusExporter exporter, OutboxStatsSampler outbox,
    DeviceCensus devices, IOptions<GatewayOptions> options, TimeProvider time) : IHttpEndpointMapping
{
    public void Map(IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/healthz", Healthz);
        endpoints.MapGet("/metrics", MetricsAsync);
    }

    private IResult Healthz()
    {
        var report = health.Latest;
        // The health loop runs at least every status interval; an older report means the loop itself is stuck.
        var stale = report is null || time.GetUtcNow() - report.CheckedAt > TimeSpan.FromSeconds(2 * options.Value.StatusIntervalSeconds + 5);
        var status = report is null ? "starting" : stale ? "stale" : report.Alive ? "ok" : "unhealthy";
        var body = new JsonObject
        {
            ["status"] = status,
            ["link"] = LinkStatus.Describe(link.State),
            ["checkedAt"] = report?.CheckedAt,
            ["probes"] = new JsonArray([.. (report?.Probes ?? []).Select(p => (JsonNode)p.ToJson())]),
        };
        return Results.Text(Encoding.UTF8.GetString(JsonBytes.Of(body)), "application/json", Encoding.UTF8, status == "ok" ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }

    private async Task<IResult> MetricsAsync(CancellationToken cancellationToken)
    {
        // Fresh figures for the scrape, without letting frequent scrapers hammer the database.
        await outbox.RefreshAsync(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
        await devices.RefreshAsync(TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
        return Results.Text(await exporter.ScrapeAsync(cancellationToken).ConfigureAwait(false), PrometheusExporter.ContentType);
    }
}
