using System.Text.Json.Nodes;
using Gateway.Host.Cli;
using Gateway.Storage.Devices;
using Gateway.Storage.Outbox;

namespace Gateway.Host.Health;

/// <summary>
/// The figures of <c>coap-gateway status --json</c>, built in one place so the admin page's
/// <c>/api/status</c> serves exactly the same document: the service's own view (<see cref="ServiceStatus"/>)
/// plus queue, drops and devices from the database. Built as nodes rather than serialized from
/// anonymous types: the native build has no reflection-based serializer.
/// </summary>
internal static class StatusReport
{
    /// <param name="service">The service's last status (file or in-process), or null.</param>
    /// <param name="live">Whether <paramref name="service"/> describes a running process.</param>
    /// <param name="deadLettersByCause">Dead letters held now, by cause (<c>DeadLetterRegister.CountsByCause</c>).</param>
    public static JsonObject Build(ServiceStatus? service, bool live, OutboxStats stats, IReadOnlyList<DeviceRecord> devices, int contentItems, string databasePath, IReadOnlyDictionary<string, long> deadLettersByCause, DateTimeOffset now)
    {
        var backlog = live && stats.Depth > 0 ? service : null;
        return new JsonObject
        {
            ["service"] = new JsonObject
            {
                ["running"] = live,
                ["pid"] = live ? service!.Pid : null,
                ["version"] = service?.Version,
                ["startedAt"] = live ? service!.StartedAt : null,
                ["uptimeSeconds"] = live ? (long)(now - service!.StartedAt).TotalSeconds : null,
                ["statusUpdatedAt"] = service?.UpdatedAt,
                ["healthy"] = live && service!.Healthy,
                ["probes"] = CliJson.Probes(live ? service!.Probes : []),
                ["coapEndpoint"] = live ? service!.CoapEndpoint : null,
            },
            ["link"] = new JsonObject
            {
                ["state"] = live ? service!.Link : "unknown",
                ["broker"] = service?.Broker,
                ["sessionLimits"] = live ? service!.SessionLimits : null,
            },
            ["queue"] = new JsonObject
            {
                ["depth"] = stats.Depth,
                ["bytes"] = stats.Bytes,
                ["oldestAgeSeconds"] = (long)stats.OldestAge.TotalSeconds,
                ["drops"] = stats.TotalDrops,
                ["dropsByReason"] = CliJson.Object(DropsByReason(stats)),
                ["deadLetters"] = stats.DeadLetters,
                ["deadLettersHeld"] = deadLettersByCause.Values.Sum(),
                ["deadLettersByReason"] = CliJson.Object(deadLettersByCause),
                ["drainRowsPerSecond"] = backlog?.DrainRowsPerSecond,
                ["netDrainRowsPerSecond"] = backlog?.NetDrainRowsPerSecond,
                ["emptyInSeconds"] = backlog?.EmptyInSeconds,
            },
            ["devices"] = new JsonObject
            {
                ["total"] = devices.Count,
                ["awaitingActivation"] = AwaitingActivation(devices),
            },
            ["content"] = new JsonObject { ["items"] = contentItems },
            ["coap"] = CliJson.Object(live ? service!.Coap : new Dictionary<string, long>()),
            ["dtls"] = CliJson.Object(live ? service!.Dtls : new Dictionary<string, long>()),
            ["database"] = databasePath,
        };
    }

    /// <summary>Drops summed over message kinds, keyed by reason in snake_case (as in /metrics).</summary>
    public static Dictionary<string, long> DropsByReason(OutboxStats stats) =>
        stats.Drops.GroupBy(d => d.Key.Reason).ToDictionary(g => Metrics.Names.Snake(g.Key.ToString()), g => g.Sum(d => d.Value));

    /// <summary>Exosite devices registered with vendor/model/serial that have not activated yet.</summary>
    public static int AwaitingActivation(IReadOnlyList<DeviceRecord> devices) => devices.Count(d => d.Serial is not null && !d.Activated);
}
