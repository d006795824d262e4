using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Gateway.Host.Configuration;
using Gateway.Storage;
using Gateway.Storage.Content;

namespace Gateway.Host.Cli;

/// <summary><c>content add|list</c>: files served to devices block-wise (Exosite content, firmware).</summary>
internal static class ContentCommand
{
    public const string DefaultContentType = "application/octet-stream";

    public static Command Create()
    {
        var content = new Command("content", "Store and list content served to devices");
        content.Add(Add());
        content.Add(List());
        return content;
    }

    private static Command Add()
    {
        var vendor = new Option<string>("--vendor") { Description = "Exosite vendor", Required = true, HelpName = "V" };
        var model = new Option<string>("--model") { Description = "Exosite model", Required = true, HelpName = "M" };
        var id = new Option<string>("--id") { Description = "Content id (the name devices ask for)", Required = true, HelpName = "ID" };
        var file = new Option<string>("--file") { Description = "File to store (replaces an earlier one with the same vendor/model/id atomically)", Required = true, HelpName = "F" };
        var type = new Option<string?>("--content-type") { Description = $"MIME type served to devices [default: {DefaultContentType}]", HelpName = "T" };
        var meta = new Option<string?>("--meta") { Description = "Free text stored with the content (Exosite content meta)", HelpName = "TEXT" };
        var command = new Command("add", "Store a content file for an Exosite vendor/model (name exosite/V/M/ID)") { vendor, model, id, file, type, meta };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (parse, cancellationToken) =>
        {
            var v = parse.GetRequiredValue(vendor);
            var m = parse.GetRequiredValue(model);
            var i = parse.GetRequiredValue(id);
            foreach (var (value, option) in new[] { (v, "--vendor"), (m, "--model"), (i, "--id") }) CheckSegment(value, option);
            var contentType = parse.GetValue(type) ?? DefaultContentType;
            var context = CliContext.Create(parse);
            using var body = OpenFile(parse.GetRequiredValue(file));
            using var database = context.OpenDatabase();
            var info = await StoreAsync(database, $"exosite/{v}/{m}/{i}", contentType, body, parse.GetValue(meta), cancellationToken);
            await context.Output.WriteLineAsync($"{info.Name}: stored, {info.Size} bytes, {info.ContentType}, sha256 {Convert.ToHexStringLower(info.Sha256)}");
            return 0;
        });
        return command;
    }

    private static Command List()
    {
        var json = CommonOptions.Json();
        var command = new Command("list", "List stored content and firmware") { json };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (parse, cancellationToken) =>
        {
            var context = CliContext.Create(parse);
            using var database = context.OpenDatabase(mustExist: true);
            var list = await new SqliteContentStore(database).ListAsync(cancellationToken);
            if (parse.GetValue(json))
            {
                var rows = new JsonArray([.. list.Select(c => (JsonNode)new JsonObject
                {
                    ["name"] = c.Name,
                    ["contentType"] = c.ContentType,
                    ["size"] = c.Size,
                    ["sha256"] = Convert.ToHexStringLower(c.Sha256),
                    ["meta"] = c.Meta,
                    ["updated"] = c.Updated,
                })]);
                await context.Output.WriteLineAsync(CliJson.Write(rows));
                return 0;
            }
            var table = new TextTable("NAME", "TYPE", "SIZE", "SHA256", "UPDATED", "META");
            foreach (var c in list)
            {
                table.Add(c.Name, c.ContentType, c.Size.ToString(CultureInfo.InvariantCulture), Convert.ToHexStringLower(c.Sha256)[..16],
                    c.Updated.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture), c.Meta ?? "");
            }
            await context.Output.WriteAsync(table.ToString());
            await context.Output.WriteLineAsync($"{list.Count} item{(list.Count == 1 ? "" : "s")}");
            return 0;
        });
        return command;
    }

    /// <summary>One path segment of a content name: no '/', not empty.</summary>
    internal static void CheckSegment(string value, string option)
    {
        if (value.Length is 0 or > 128 || value.Any(c => c == '/' || char.IsControl(c)))
            throw new ConfigurationException($"{option}: '{value}' must be 1 to 128 characters without '/' or control characters");
    }

    /// <summary>Streams the file into the content store (copied in chunks, fsynced, renamed into place); too large → one line, exit 1.</summary>
    internal static async Task<ContentInfo> StoreAsync(SqliteDatabase database, string name, string contentType, FileStream body, string? meta, CancellationToken cancellationToken)
    {
        try
        {
            return await new SqliteContentStore(database).PutAsync(name, contentType, body, meta, cancellationToken);
        }
        catch (ContentTooLargeException e)
        {
            throw new CommandFailedException($"{body.Name}: {body.Length} bytes, larger than Storage:MaxContentBytes ({e.Limit} bytes); nothing was stored");
        }
    }

    internal static FileStream OpenFile(string path)
    {
        try
        {
            return File.OpenRead(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigurationException($"--file: {path}: {e.Message.ReplaceLineEndings(" ")}", e);
        }
    }
}
