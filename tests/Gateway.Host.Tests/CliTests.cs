using System.Text.Json;
using Gateway.Host.Tests.Support;
using Gateway.Storage;
using Gateway.Storage.Attributes;

namespace Gateway.Host.Tests;

/// <summary>Each subcommand of the real executable: output, exit code, and one-line errors with exit 2 for bad arguments.</summary>
public sealed class CliTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Data => _dir.Combine("data");

    private Task<CliResult> Run(params string[] arguments) => GatewayExecutable.RunAsync(_dir.Path, arguments);

    private Task<CliResult> RunWithData(params string[] arguments) => GatewayExecutable.RunAsync(_dir.Path, [.. arguments, "--data-dir", Data]);

    private static void AssertUsageError(CliResult result, string expected)
    {
        Assert.True(result.ExitCode == 2, result.ToString());
        var line = Assert.Single(result.ErrorLines);
        Assert.StartsWith("coap-gateway: ", line, StringComparison.Ordinal);
        Assert.Contains(expected, line, StringComparison.Ordinal);
        Assert.Equal("", result.Stdout);
    }

    [Fact]
    public async Task Help_ListsEveryCommandAndTheCommonOptions()
    {
        var result = await Run("--help");
        Assert.True(result.ExitCode == 0, result.ToString());
        foreach (var word in new[] { "run", "devices", "content", "firmware", "dead-letter", "admin", "status", "--config", "--data-dir" })
            Assert.Contains(word, result.Stdout, StringComparison.Ordinal);
        // Issue 20.11: System.CommandLine's generic section for unmatched tokens is not ours to show.
        Assert.DoesNotContain("Additional Arguments", result.Stdout, StringComparison.Ordinal);
        // The last line is the last command (the column width follows the longest command name).
        Assert.Matches(@"\n +status +Show service state, cloud link, queue depth/age, drops and devices\z", result.Stdout.TrimEnd());
    }

    [Theory]
    [InlineData("run")]
    [InlineData("devices add", "--token", "--type", "--vendor", "--model", "--sn")]
    [InlineData("devices list", "--json")]
    [InlineData("devices remove", "NAME")]
    [InlineData("content add", "--vendor", "--model", "--id", "--file", "--content-type", "--meta")]
    [InlineData("content list", "--json")]
    [InlineData("firmware add", "--title", "--version", "--file", "--device", "--type")]
    [InlineData("status", "--json")]
    [InlineData("dead-letter list", "--json")]
    [InlineData("dead-letter retry", "ID", "--all")]
    [InlineData("dead-letter drop", "ID", "--all")]
    [InlineData("admin set-password", "USER", "--file")]
    public async Task SubcommandHelp_NamesItsOptions(string command, params string[] options)
    {
        var result = await Run([.. command.Split(' '), "--help"]);
        Assert.True(result.ExitCode == 0, result.ToString());
        foreach (var option in options.Append("--config").Append("--data-dir")) Assert.Contains(option, result.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("Additional Arguments", result.Stdout, StringComparison.Ordinal);
    }

    // Issue 20.11: a token is a device's only secret; a very short one is refused, and the rule is said.
    [Theory]
    [InlineData("abc")]
    [InlineData("ELEVEN_CHAR")]
    public async Task DevicesAdd_TokenShorterThanTwelve_Exit2SayingTheMinimum(string token)
    {
        AssertUsageError(await RunWithData("devices", "add", "short", "--token", token),
            "--token: 12 to 256 characters without spaces, '/', '?', '#' or '%' (it travels in URL paths; the generated ones have 20)");
    }

    [Fact]
    public async Task UnknownCommand_OneLineExit2()
    {
        AssertUsageError(await Run("devcies", "list"), "unrecognized argument 'devcies'");
    }

    [Fact]
    public async Task UnknownOption_OneLineExit2()
    {
        AssertUsageError(await RunWithData("devices", "list", "--bogus"), "unrecognized argument '--bogus'");
    }

    [Fact]
    public async Task MissingArgument_OneLineExit2()
    {
        AssertUsageError(await RunWithData("devices", "add"), "Required argument missing");
    }

    // Issue 18: dead-letter retry/drop take one id or --all, never neither or both.
    [Theory]
    [InlineData("retry")]
    [InlineData("drop", "7", "--all")]
    [InlineData("drop", "seven")]
    public async Task DeadLetterChange_NeedsOneIdOrAll_Exit2(string verb, params string[] arguments)
    {
        AssertUsageError(await RunWithData(["dead-letter", verb, .. arguments]), $"dead-letter {verb}: ");
    }

    [Fact]
    public async Task DeadLetter_UnknownId_Exit1_ListOnAFreshDatabaseIsEmpty()
    {
        Assert.Equal(0, (await RunWithData("devices", "add", "creates-the-database")).ExitCode);
        var list = await RunWithData("dead-letter", "list");
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Contains("0 dead letters", list.Stdout, StringComparison.Ordinal);
        var retry = await RunWithData("dead-letter", "retry", "42");
        Assert.True(retry.ExitCode == 1, retry.ToString());
        Assert.Contains("no dead letter with id 42", Assert.Single(retry.ErrorLines), StringComparison.Ordinal);
    }

    [Fact]
    public async Task MissingRequiredOption_OneLineExit2()
    {
        AssertUsageError(await RunWithData("content", "add", "--vendor", "v", "--model", "m", "--file", "x"), "--id");
    }

    [Fact]
    public async Task DevicesAdd_PrintsTheTokenOnce_ListNeverShowsIt()
    {
        var added = await RunWithData("devices", "add", "thermostat-1", "--type", "thermostat");
        Assert.True(added.ExitCode == 0, added.ToString());
        var token = added.Stdout.Trim();
        Assert.Matches("^[A-Za-z0-9]{20}$", token);

        var list = await RunWithData("devices", "list");
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Contains("thermostat-1", list.Stdout, StringComparison.Ordinal);
        Assert.Contains("thermostat", list.Stdout, StringComparison.Ordinal);
        Assert.Contains("1 device", list.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(token, list.Stdout, StringComparison.Ordinal);

        var json = await RunWithData("devices", "list", "--json");
        Assert.True(json.ExitCode == 0, json.ToString());
        Assert.DoesNotContain(token, json.Stdout, StringComparison.Ordinal);
        var device = Assert.Single(JsonDocument.Parse(json.Stdout).RootElement.EnumerateArray());
        Assert.Equal("thermostat-1", device.GetProperty("name").GetString());
        Assert.Equal("thermostat", device.GetProperty("type").GetString());
        Assert.Equal("token", device.GetProperty("credential").GetString());
        Assert.Equal("thermostat-1", device.GetProperty("cloud_name").GetString());
    }

    [Fact]
    public async Task DevicesList_AfterARenameInTheCloud_ShowsBothNames()
    {
        Assert.Equal(0, (await RunWithData("devices", "add", "boiler-1")).ExitCode);
        using (var database = SqliteDatabase.Open(new StorageOptions { DataDir = Data }))
            await new Gateway.Storage.Devices.SqliteCloudNameStore(database).SetAsync("boiler-1", "Boiler room");

        var list = await RunWithData("devices", "list");
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Contains("boiler-1", list.Stdout, StringComparison.Ordinal);
        Assert.Contains("Boiler room", list.Stdout, StringComparison.Ordinal);
        var json = await RunWithData("devices", "list", "--json");
        var device = Assert.Single(JsonDocument.Parse(json.Stdout).RootElement.EnumerateArray());
        Assert.Equal("boiler-1", device.GetProperty("name").GetString());
        Assert.Equal("Boiler room", device.GetProperty("cloud_name").GetString());
    }

    [Fact]
    public async Task DevicesAdd_GivenToken_IsPrintedAndADuplicateNameFailsWithExit1()
    {
        var added = await RunWithData("devices", "add", "meter", "--token", "A1_TEST_TOKEN");
        Assert.True(added.ExitCode == 0, added.ToString());
        Assert.Equal("A1_TEST_TOKEN", added.Stdout.Trim());

        var again = await RunWithData("devices", "add", "meter");
        Assert.True(again.ExitCode == 1, again.ToString());
        Assert.Contains("meter", Assert.Single(again.ErrorLines), StringComparison.Ordinal);
    }

    [Fact]
    public async Task DevicesAdd_Exosite_AwaitsActivation_AndPartialIdentityIsAUsageError()
    {
        var added = await RunWithData("devices", "add", "pump", "--vendor", "acme", "--model", "p1", "--sn", "0042");
        Assert.True(added.ExitCode == 0, added.ToString());
        Assert.Contains("awaiting Exosite activation", added.Stdout, StringComparison.Ordinal);

        var json = await RunWithData("devices", "list", "--json");
        var device = Assert.Single(JsonDocument.Parse(json.Stdout).RootElement.EnumerateArray());
        Assert.Equal("awaiting activation", device.GetProperty("credential").GetString());
        Assert.Equal("0042", device.GetProperty("serial").GetString());
        Assert.False(device.GetProperty("activated").GetBoolean());

        AssertUsageError(await RunWithData("devices", "add", "half", "--vendor", "acme"), "--vendor, --model and --sn go together");
        AssertUsageError(await RunWithData("devices", "add", "both", "--vendor", "a", "--model", "b", "--sn", "c", "--token", "t"), "--token");
    }

    [Fact]
    public async Task DevicesRemove_RemovesOnce_ThenExit1()
    {
        Assert.Equal(0, (await RunWithData("devices", "add", "gone")).ExitCode);
        var removed = await RunWithData("devices", "remove", "gone");
        Assert.True(removed.ExitCode == 0, removed.ToString());
        Assert.Contains("gone: removed", removed.Stdout, StringComparison.Ordinal);

        var again = await RunWithData("devices", "remove", "gone");
        Assert.True(again.ExitCode == 1, again.ToString());
        Assert.Equal("coap-gateway: no device named 'gone'", Assert.Single(again.ErrorLines));
    }

    [Fact]
    public async Task ContentAdd_ThenList_TextAndJson()
    {
        var file = _dir.Write("config.bin", "hello content");
        var added = await RunWithData("content", "add", "--vendor", "acme", "--model", "p1", "--id", "config", "--file", file, "--content-type", "text/plain", "--meta", "v1");
        Assert.True(added.ExitCode == 0, added.ToString());
        Assert.Contains("exosite/acme/p1/config: stored, 13 bytes", added.Stdout, StringComparison.Ordinal);

        var list = await RunWithData("content", "list");
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Contains("exosite/acme/p1/config", list.Stdout, StringComparison.Ordinal);
        Assert.Contains("1 item", list.Stdout, StringComparison.Ordinal);

        var json = await RunWithData("content", "list", "--json");
        var item = Assert.Single(JsonDocument.Parse(json.Stdout).RootElement.EnumerateArray());
        Assert.Equal("text/plain", item.GetProperty("contentType").GetString());
        Assert.Equal(13, item.GetProperty("size").GetInt64());
        Assert.Equal("v1", item.GetProperty("meta").GetString());
    }

    [Fact]
    public async Task ContentAdd_MissingFile_NamesTheOptionExit2()
    {
        AssertUsageError(await RunWithData("content", "add", "--vendor", "a", "--model", "b", "--id", "c", "--file", _dir.Combine("nope.bin")), "--file:");
    }

    [Fact]
    public async Task FirmwareAdd_StoresThePackage_AndSetsTheFwAttributesOfTheDevice()
    {
        Assert.Equal(0, (await RunWithData("devices", "add", "sensor-7", "--type", "sensor")).ExitCode);
        var image = _dir.Write("fw.bin", new string('x', 5000));
        var added = await RunWithData("firmware", "add", "--title", "sensor-fw", "--version", "1.2.3", "--file", image, "--device", "sensor-7");
        Assert.True(added.ExitCode == 0, added.ToString());
        Assert.Contains("firmware/sensor-fw/1.2.3: stored, 5000 bytes", added.Stdout, StringComparison.Ordinal);
        Assert.Contains("assigned to 1 device", added.Stdout, StringComparison.Ordinal);

        using var database = SqliteDatabase.Open(new StorageOptions { DataDir = Data });
        var attributes = (await new SqliteAttributeStore(database).GetAsync("sensor-7", AttributeScope.Shared)).ToDictionary(a => a.Key, a => a.Json);
        Assert.Equal("\"sensor-fw\"", attributes["fw_title"]);
        Assert.Equal("\"1.2.3\"", attributes["fw_version"]);
        Assert.Equal("5000", attributes["fw_size"]);
        Assert.Equal("\"SHA256\"", attributes["fw_checksum_algorithm"]);
        Assert.Matches("^\"[0-9a-f]{64}\"$", attributes["fw_checksum"]);

        var byType = await RunWithData("firmware", "add", "--title", "sensor-fw", "--version", "1.2.4", "--file", image, "--type", "sensor");
        Assert.True(byType.ExitCode == 0, byType.ToString());
        Assert.Contains("assigned to 1 device (type sensor)", byType.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FirmwareAdd_TargetErrors()
    {
        var image = _dir.Write("fw.bin", "x");
        AssertUsageError(await RunWithData("firmware", "add", "--title", "t", "--version", "1", "--file", image), "exactly one of --device NAME or --type PROFILE");
        var unknown = await RunWithData("firmware", "add", "--title", "t", "--version", "1", "--file", image, "--device", "nobody");
        Assert.True(unknown.ExitCode == 1, unknown.ToString());
        Assert.Equal("coap-gateway: no device named 'nobody'", Assert.Single(unknown.ErrorLines));
    }

    [Fact]
    public async Task Status_WithoutService_ShowsQueueAndDevices()
    {
        Assert.Equal(0, (await RunWithData("devices", "add", "d1")).ExitCode);
        var status = await RunWithData("status");
        Assert.True(status.ExitCode == 0, status.ToString());
        Assert.Contains("service:      not running", status.Stdout, StringComparison.Ordinal);
        Assert.Contains("queue:        0 rows", status.Stdout, StringComparison.Ordinal);
        Assert.Contains("devices:      1", status.Stdout, StringComparison.Ordinal);

        var json = await RunWithData("status", "--json");
        Assert.True(json.ExitCode == 0, json.ToString());
        var root = JsonDocument.Parse(json.Stdout).RootElement;
        Assert.False(root.GetProperty("service").GetProperty("running").GetBoolean());
        Assert.Equal(0, root.GetProperty("queue").GetProperty("depth").GetInt64());
        Assert.Equal(1, root.GetProperty("devices").GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task Version_PrintsAndExitsZero()
    {
        var result = await Run("--version");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.NotEmpty(result.Stdout.Trim());
    }
}
