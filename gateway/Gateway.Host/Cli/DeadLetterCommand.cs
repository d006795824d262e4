using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Gateway.Host.Configuration;
using Gateway.Storage;
using Gateway.Storage.Outbox;

namespace Gateway.Host.Cli;

/// <summary>
/// <c>dead-letter list|retry|drop</c>: the rows the cloud will not take, kept for the operator. A retry
/// only marks rows: the service moves them back into the outbox at its next maintenance sweep
/// (Storage:MaintenanceIntervalSeconds) or start, under their own ids, so each goes at its original
/// place in id order (see docs/guarantees.md).
/// </summary>
internal static class DeadLetterCommand
{
    public static Command Create()
    {
        var command = new Command("dead-letter", "List, retry or drop rows the cloud refused (the dead-letter table)");
        command.Add(List());
        command.Add(Change("retry", "Put dead letters back into the outbox at their original place (the service moves them within Storage:MaintenanceIntervalSeconds)",
            DeadLetterRegister.MarkForRetry, "marked for retry"));
        command.Add(Change("drop", "Delete dead letters for good", DeadLetterRegister.Drop, "dropped"));
        return command;
    }

    private static Command List()
    {
        var json = CommonOptions.Json();
        var command = new Command("list", "List dead letters: id, device, kind, size, cause and reason (never the payload)") { json };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (parse, cancellationToken) =>
        {
            var context = CliContext.Create(parse);
            using var database = context.OpenDatabase(mustExist: true);
            var letters = DeadLetterRegister.List(database);
            if (parse.GetValue(json))
            {
                await context.Output.WriteLineAsync(CliJson.Write(new JsonArray([.. letters.Select(d => (JsonNode)new JsonObject
                {
                    ["id"] = d.Id,
                    ["device"] = d.Device,
                    ["kind"] = d.Kind.ToString(),
                    ["payloadBytes"] = d.PayloadBytes,
                    ["receivedAt"] = d.ReceivedAt,
                    ["attempts"] = d.Attempts,
                    ["cause"] = d.Cause,
                    ["reason"] = d.Reason,
                    ["deadAt"] = d.DeadAt,
                    ["retryMarked"] = d.RetryMarked,
                })])));
                return 0;
            }
            var table = new TextTable("ID", "DEVICE", "KIND", "BYTES", "DEAD SINCE", "CAUSE", "REASON");
            foreach (var d in letters)
            {
                table.Add(d.Id.ToString(CultureInfo.InvariantCulture), d.Device, d.Kind.ToString(), d.PayloadBytes.ToString(CultureInfo.InvariantCulture),
                    d.DeadAt.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture), d.Cause.Replace('_', '-') + (d.RetryMarked ? " (retry marked)" : ""), d.Reason);
            }
            await context.Output.WriteAsync(table.ToString());
            await context.Output.WriteLineAsync($"{letters.Count} dead letter{(letters.Count == 1 ? "" : "s")}");
            return 0;
        });
        return command;
    }

    private static Command Change(string name, string description, Func<SqliteDatabase, long?, int> change, string done)
    {
        var id = new Argument<string>("ID") { Description = "A dead letter's id (from dead-letter list), or --all" };
        id.Arity = ArgumentArity.ZeroOrOne;
        var all = new Option<bool>("--all") { Description = "Every dead letter" };
        var command = new Command(name, description) { id, all };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (parse, cancellationToken) =>
        {
            var given = parse.GetValue(id);
            long? one = null;
            if (parse.GetValue(all) == (given is not null))
                throw new ConfigurationException($"dead-letter {name}: give an ID or --all");
            if (given is not null)
            {
                if (!long.TryParse(given, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
                    throw new ConfigurationException($"dead-letter {name}: '{given}' is not an id (digits, from dead-letter list)");
                one = parsed;
            }
            var context = CliContext.Create(parse);
            using var database = context.OpenDatabase(mustExist: true);
            var count = change(database, one);
            if (one is not null && count == 0) throw new CommandFailedException($"no dead letter with id {one}");
            await context.Output.WriteLineAsync($"{count} dead letter{(count == 1 ? "" : "s")} {done}");
            return 0;
        });
        return command;
    }
}
