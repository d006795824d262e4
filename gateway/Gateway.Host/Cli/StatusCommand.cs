using System.CommandLine;
using System.Globalization;
using System.Text;
using Gateway.Host.Health;
using Gateway.Storage.Content;
using Gateway.Storage.Devices;
using Gateway.Storage.Outbox;

namespace Gateway.Host.Cli;

/// <summary>
/// <c>status</c>: the gateway at a glance. Queue, drops and devices come from the database (so
/// they are right whether or not the service runs); the service's own view (running, link,
/// health, CoAP counters) comes from the status file it rewrites every few seconds.
/// </summary>
internal static class StatusCommand
{
    public static Command Create()
    {
        var json = CommonOptions.Json();
        var command = new Command("status", "Show service state, cloud link, queue depth/age, drops and devices") { json };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (parse, cancellationToken) =>
        {
            var context = CliContext.Create(parse);
            var dataDir = context.StorageOptions().DataDir;
            using var database = context.OpenDatabase(mustExist: true);
            var service = ServiceStatusFile.TryRead(dataDir);
            var now = DateTimeOffset.UtcNow;
            var live = service is not null && ServiceStatusFile.IsLive(service, now);
            var stats = SqliteOutbox.ReadStats(database, live ? now : null);
            var devices = await new SqliteDeviceStore(database).ListAsync(cancellationToken);
            var content = await new SqliteContentStore(database).ListAsync(cancellationToken);
            var backlog = live && stats.Depth > 0 ? service : null;
            var deadLetters = DeadLetterRegister.CountsByCause(database);
            var report = StatusReport.Build(service, live, stats, devices, content.Count, database.Path, deadLetters, now);
            var dropsByReason = StatusReport.DropsByReason(stats);
            var awaitingActivation = StatusReport.AwaitingActivation(devices);
            if (parse.GetValue(json))
            {
                await context.Output.WriteLineAsync(CliJson.Write(report));
                return 0;
            }

            var text = new StringBuilder();
            var inv = CultureInfo.InvariantCulture;
            if (live)
            {
                var health = service!.Healthy ? "healthy" : "UNHEALTHY: " + string.Join(", ", service.Probes.Where(p => !p.Alive).Select(p => $"{p.Name} {p.Detail}"));
                text.Append(inv, $"service:      running, pid {service.Pid}, up {Format.Duration(now - service.StartedAt)}, {health}\n");
                text.Append(inv, $"link:         {service.Link}{(service.Broker is null ? " (Mqtt:Host is empty: buffering only)" : $" ({service.Broker})")}\n");
                if (service.Broker is not null) text.Append(inv, $"limits:       {service.SessionLimits ?? "none announced (getSessionLimits not answered yet)"}\n");
                text.Append(inv, $"coap:         {service.CoapEndpoint}, {service.Coap.GetValueOrDefault("datagrams")} datagrams, {service.Coap.GetValueOrDefault("requests")} requests, {service.Coap.GetValueOrDefault("malformed")} malformed\n");
                if (service.DtlsEndpoint is not null)
                {
                    var d = service.Dtls;
                    var failures = string.Join(", ", d.Where(f => f.Key.StartsWith("handshakesFailed.", StringComparison.Ordinal) && f.Value > 0)
                        .Select(f => $"{f.Key["handshakesFailed.".Length..]} {f.Value}"));
                    text.Append(inv, $"dtls:         {service.DtlsEndpoint}, {d.GetValueOrDefault("sessions")} sessions ({d.GetValueOrDefault("handshaking")} handshaking), handshakes {d.GetValueOrDefault("handshakesOk")} ok, {d.GetValueOrDefault("handshakesFailed")} failed{(failures.Length > 0 ? $" ({failures})" : "")}\n");
                }
            }
            else
            {
                var last = service is null ? "" : $" (last status {service.UpdatedAt.ToLocalTime():yyyy-MM-dd HH:mm:ss}, {service.State})";
                text.Append(inv, $"service:      not running{last}\n");
                text.Append("link:         unknown (the service is not running)\n");
            }
            var oldest = stats.Depth == 0 ? "" : $", oldest {Format.Duration(stats.OldestAge)}";
            text.Append(inv, $"queue:        {stats.Depth} rows, {Format.Bytes(stats.Bytes)}{oldest}\n");
            if (backlog is not null) text.Append(inv, $"drain:        {Drain(backlog)}\n");
            var reasons = stats.Drops.Count == 0 ? "" : " (" + string.Join(", ", dropsByReason.Select(r => $"{r.Key.Replace('_', '-')} {r.Value}")) + ")";
            text.Append(inv, $"drops:        {stats.TotalDrops}{reasons}\n");
            var held = deadLetters.Count == 0 ? "" : " (" + string.Join(", ", deadLetters.Select(r => $"{r.Key.Replace('_', '-')} {r.Value}")) + "; coap-gateway dead-letter list)";
            text.Append(inv, $"dead letters: {deadLetters.Values.Sum()} held{held}, {stats.DeadLetters} ever\n");
            text.Append(inv, $"devices:      {devices.Count}{(awaitingActivation > 0 ? $" ({awaitingActivation} awaiting Exosite activation)" : "")}\n");
            text.Append(inv, $"content:      {content.Count} items\n");
            text.Append(inv, $"database:     {database.Path}\n");
            await context.Output.WriteAsync(text.ToString());
            return 0;
        });
        return command;
    }

    // "1,200 rows/s forwarded, backlog shrinking by 950 rows/s, empty in about 3 min".
    private static string Drain(Health.ServiceStatus service)
    {
        if (service.DrainRowsPerSecond is not { } drain || service.NetDrainRowsPerSecond is not { } net) return "measuring (a minute after start)";
        var inv = CultureInfo.InvariantCulture;
        var forwarded = string.Create(inv, $"{drain:#,0} rows/s forwarded");
        if (service.EmptyInSeconds is { } seconds) return string.Create(inv, $"{forwarded}, backlog shrinking by {net:#,0} rows/s, empty in about {Format.Duration(TimeSpan.FromSeconds(seconds))}");
        return net < 0 ? string.Create(inv, $"{forwarded}, backlog growing by {-net:#,0} rows/s") : $"{forwarded}, backlog not shrinking";
    }
}
