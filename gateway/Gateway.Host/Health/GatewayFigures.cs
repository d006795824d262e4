using System.Text.Json.Nodes;
using Gateway.Host.Coap;
using Gateway.Host.Storage;

namespace Gateway.Host.Health;

/// <summary>
/// The gateway's own figures, as the gateway device's telemetry and as the answer to the
/// <c>gateway_stats</c> service RPC: uptime, queue depth/bytes/oldest age, drops, dead letters,
/// registered devices, link state, CoAP counters. Nothing secret.
/// </summary>
public sealed class GatewayFigures(OutboxStatsSampler stats, DeviceCensus devices, LinkStatus link, Uptime uptime, CoapListenerService coap)
{
    public async Task<JsonObject> CollectAsync(CancellationToken cancellationToken)
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
        return values;
    }
}
