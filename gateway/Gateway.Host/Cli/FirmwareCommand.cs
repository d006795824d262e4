using System.CommandLine;
using System.Globalization;
using Gateway.Host.Configuration;
using Gateway.Storage.Attributes;
using Gateway.Storage.Content;
using Gateway.Storage.Devices;

namespace Gateway.Host.Cli;

/// <summary>
/// <c>firmware add</c>: stores a firmware package (content <c>firmware/TITLE/VERSION</c>) and assigns it
/// the way ThingsBoard does, by setting the shared attributes <c>fw_title</c>, <c>fw_version</c>,
/// <c>fw_size</c>, <c>fw_checksum</c> and <c>fw_checksum_algorithm</c> (SHA256) on the device, or on
/// every device of the type registered now.
/// </summary>
internal static class FirmwareCommand
{
    public static Command Create()
    {
        var title = new Option<string>("--title") { Description = "Firmware title (fw_title)", Required = true, HelpName = "T" };
        var version = new Option<string>("--version") { Description = "Firmware version (fw_version)", Required = true, HelpName = "V" };
        var file = new Option<string>("--file") { Description = "Firmware image", Required = true, HelpName = "F" };
        var device = new Option<string?>("--device") { Description = "Assign to this device", HelpName = "NAME" };
        var type = new Option<string?>("--type") { Description = "Assign to every device of this type registered now", HelpName = "PROFILE" };
        var add = new Command("add", "Store a firmware image and assign it to a device or a device type") { title, version, file, device, type };
        add.TreatUnmatchedTokensAsErrors = false;
        add.SetAction(async (parse, cancellationToken) =>
        {
            var t = parse.GetRequiredValue(title);
            var v = parse.GetRequiredValue(version);
            ContentCommand.CheckSegment(t, "--title");
            ContentCommand.CheckSegment(v, "--version");
            var deviceName = parse.GetValue(device);
            var profile = parse.GetValue(type);
            if ((deviceName is null) == (profile is null)) throw new ConfigurationException("firmware add: give exactly one of --device NAME or --type PROFILE");
            var context = CliContext.Create(parse);
            using var body = ContentCommand.OpenFile(parse.GetRequiredValue(file));
            using var database = context.OpenDatabase();

            var devices = new SqliteDeviceStore(database);
            var targets = deviceName is not null
                ? [await devices.FindByNameAsync(deviceName, cancellationToken) ?? throw new CommandFailedException($"no device named '{deviceName}'")]
                : (await devices.ListAsync(cancellationToken)).Where(d => d.Profile == profile).ToList();

            var target = deviceName is not null ? $"device {deviceName}" : $"type {profile}";
            var info = await ContentCommand.StoreAsync(database, $"firmware/{t}/{v}", ContentCommand.DefaultContentType, body, target, cancellationToken);
            var attributes = new Dictionary<string, string>
            {
                ["fw_title"] = Gateway.Domain.JsonBytes.Text(t),
                ["fw_version"] = Gateway.Domain.JsonBytes.Text(v),
                ["fw_size"] = info.Size.ToString(CultureInfo.InvariantCulture),
                ["fw_checksum"] = $"\"{Convert.ToHexStringLower(info.Sha256)}\"",
                ["fw_checksum_algorithm"] = "\"SHA256\"",
            };
            var store = new SqliteAttributeStore(database);
            foreach (var d in targets)
            {
                await store.SetAsync(d.Name, AttributeScope.Shared, attributes, DateTimeOffset.UtcNow, cancellationToken);
            }
            await context.Output.WriteLineAsync($"{info.Name}: stored, {info.Size} bytes, sha256 {Convert.ToHexStringLower(info.Sha256)}; assigned to {targets.Count} device{(targets.Count == 1 ? "" : "s")} ({target})");
            return 0;
        });
        var firmware = new Command("firmware", "Store firmware images and assign them to devices") { add };
        return firmware;
    }
}
