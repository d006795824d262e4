using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Gateway.Host.Configuration;
using Gateway.Storage.Devices;

namespace Gateway.Host.Cli;

/// <summary><c>devices add|list|remove</c>: the device registry, in the same database the service uses.</summary>
internal static class DevicesCommand
{
    /// <summary>
    /// The shortest access token <c>devices add --token</c> takes. A token is the only secret of a
    /// ThingsBoard device, guessed at the failure limiter's rate; 12 characters keep guessing hopeless
    /// and still take the tokens ThingsBoard's own examples use (A1_TEST_TOKEN).
    /// </summary>
    public const int MinTokenLength = 12;

    public static Command Create()
    {
        var devices = new Command("devices", "Register, list and remove devices");
        devices.Add(Add());
        devices.Add(List());
        devices.Add(Remove());
        return devices;
    }

    private static Command Add()
    {
        var name = new Argument<string>("NAME") { Description = "Device name, as the cloud will know it" };
        var token = new Option<string?>("--token") { Description = $"ThingsBoard access token to use, at least {MinTokenLength} characters [default: 20 random letters and digits]", HelpName = "T" };
        var type = new Option<string?>("--type") { Description = "Device type (ThingsBoard device profile) [default: default]", HelpName = "PROFILE" };
        var vendor = new Option<string?>("--vendor") { Description = "Exosite vendor: with --model and --sn the device awaits activation (POST /provision/activate) instead of getting a token", HelpName = "V" };
        var model = new Option<string?>("--model") { Description = "Exosite model", HelpName = "M" };
        var serial = new Option<string?>("--sn") { Description = "Exosite serial number", HelpName = "SN" };
        var command = new Command("add", "Register a device and print its access token (shown only this once), or register an Exosite device awaiting activation")
        {
            name, token, type, vendor, model, serial,
        };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (parse, cancellationToken) =>
        {
            var deviceName = parse.GetRequiredValue(name);
            CheckName(deviceName, "NAME");
            var exosite = new[] { parse.GetValue(vendor), parse.GetValue(model), parse.GetValue(serial) };
            var given = parse.GetValue(token);
            if (exosite.Any(v => v is not null) && exosite.Any(v => v is null))
                throw new ConfigurationException("--vendor, --model and --sn go together (an Exosite device needs all three)");
            if (exosite[0] is not null && given is not null)
                throw new ConfigurationException("--token: an Exosite device (--vendor/--model/--sn) gets a CIK at activation, not a token");
            if (given is not null && (given.Length is < MinTokenLength or > 256 || given.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c is '/' or '?' or '#' or '%')))
                throw new ConfigurationException($"--token: {MinTokenLength} to 256 characters without spaces, '/', '?', '#' or '%' (it travels in URL paths; the generated ones have 20)");
            var profile = parse.GetValue(type) ?? "default";
            CheckName(profile, "--type");

            var context = CliContext.Create(parse);
            using var database = context.OpenDatabase();
            var store = new SqliteDeviceStore(database);
            string? issued;
            try
            {
                issued = await store.AddAsync(new NewDevice(deviceName, profile) { Token = given, Vendor = exosite[0], Model = exosite[1], Serial = exosite[2] }, cancellationToken);
            }
            catch (InvalidOperationException e)
            {
                throw new CommandFailedException(e.Message, e);
            }
            // The token alone on stdout, so `TOKEN=$(coap-gateway devices add NAME)` works; it is never shown again.
            if (issued is not null) await context.Output.WriteLineAsync(issued);
            else await context.Output.WriteLineAsync($"{deviceName}: registered, awaiting Exosite activation (vendor {exosite[0]}, model {exosite[1]}, serial {exosite[2]})");
            return 0;
        });
        return command;
    }

    private static Command List()
    {
        var json = CommonOptions.Json();
        var command = new Command("list", "List registered devices (never their credentials)") { json };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (parse, cancellationToken) =>
        {
            var context = CliContext.Create(parse);
            using var database = context.OpenDatabase(mustExist: true);
            var list = await new SqliteDeviceStore(database).ListAsync(cancellationToken);
            // The name ThingsBoard knows a device by when it was renamed there (gateway_device_renamed).
            var cloudNames = await new SqliteCloudNameStore(database).ListAsync(cancellationToken);
            string CloudName(string device) => cloudNames.GetValueOrDefault(device, device);
            if (parse.GetValue(json))
            {
                var rows = new JsonArray([.. list.Select(d => (JsonNode)new JsonObject
                {
                    ["name"] = d.Name,
                    ["cloud_name"] = CloudName(d.Name),
                    ["type"] = d.Profile,
                    ["credential"] = Credential(d),
                    ["vendor"] = d.Vendor,
                    ["model"] = d.Model,
                    ["serial"] = d.Serial,
                    ["activated"] = d.Serial is null ? null : d.Activated,
                    ["created"] = d.Created,
                })]);
                await context.Output.WriteLineAsync(CliJson.Write(rows));
                return 0;
            }
            var table = new TextTable("NAME", "CLOUD NAME", "TYPE", "CREDENTIAL", "EXOSITE IDENTITY", "CREATED");
            foreach (var d in list)
            {
                table.Add(d.Name, CloudName(d.Name), d.Profile, Credential(d), d.Serial is null ? "-" : $"{d.Vendor}/{d.Model}/{d.Serial}",
                    d.Created.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture));
            }
            await context.Output.WriteAsync(table.ToString());
            await context.Output.WriteLineAsync($"{list.Count} device{(list.Count == 1 ? "" : "s")}");
            return 0;
        });
        return command;
    }

    private static Command Remove()
    {
        var name = new Argument<string>("NAME") { Description = "Device to remove, with its attributes, downlinks and observe relations (its queued uplink rows are still delivered)" };
        var command = new Command("remove", "Remove a device") { name };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (parse, cancellationToken) =>
        {
            var deviceName = parse.GetRequiredValue(name);
            var context = CliContext.Create(parse);
            using var database = context.OpenDatabase(mustExist: true);
            if (!await new SqliteDeviceStore(database).RemoveAsync(deviceName, cancellationToken))
                throw new CommandFailedException($"no device named '{deviceName}'");
            await context.Output.WriteLineAsync($"{deviceName}: removed");
            return 0;
        });
        return command;
    }

    private static string Credential(DeviceRecord d) =>
        d.HasToken ? "token" : d.Serial is null ? "none" : d.Activated ? "cik" : "awaiting activation";

    internal static void CheckName(string value, string what)
    {
        if (value.Length is 0 or > 255 || value.Any(char.IsControl) || value.Trim() != value)
            throw new ConfigurationException($"{what}: '{value}' must be 1 to 255 characters without control characters or surrounding spaces");
    }
}
