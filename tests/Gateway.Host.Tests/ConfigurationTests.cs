using System.Text.Json;
using Gateway.Host.Tests.Support;

namespace Gateway.Host.Tests;

/// <summary>
/// Configuration sources and precedence through the real executable, observed with
/// <c>status --json</c> (which reports the database path the data directory resolved to), and
/// bad files and values: one line naming the file or key, exit 2, before anything listens.
/// </summary>
public sealed class ConfigurationTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private async Task<string> DatabasePathAsync(IReadOnlyDictionary<string, string>? environment, params string[] arguments)
    {
        var result = await GatewayExecutable.RunAsync(_dir.Path, ["status", "--json", .. arguments], environment);
        Assert.True(result.ExitCode == 0, result.ToString());
        return JsonDocument.Parse(result.Stdout).RootElement.GetProperty("database").GetString()!;
    }

    private static void AssertOneLine(CliResult result, string expected)
    {
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Equal(expected, Assert.Single(result.ErrorLines));
    }

    [Fact]
    public async Task DataDir_DefaultsToDataUnderTheWorkingDirectory()
    {
        Assert.Equal(_dir.Combine("data", "gateway.db"), await DatabasePathAsync(null));
    }

    [Fact]
    public async Task DataDir_StateDirectoryBeatsTheDefault_ConfigBeatsStateDirectory_OptionBeatsConfig()
    {
        var state = new Dictionary<string, string> { ["STATE_DIRECTORY"] = _dir.Combine("state") + ":" + _dir.Combine("other") };
        Assert.Equal(_dir.Combine("state", "gateway.db"), await DatabasePathAsync(state));

        var config = _dir.Write("etc/gateway.json", $$"""{ "Storage": { "DataDir": "{{_dir.Combine("configured")}}" } }""");
        Assert.Equal(_dir.Combine("configured", "gateway.db"), await DatabasePathAsync(state, "--config", config));
        Assert.Equal(_dir.Combine("option", "gateway.db"), await DatabasePathAsync(state, "--config", config, "--data-dir", _dir.Combine("option")));
    }

    [Fact]
    public async Task Precedence_File_ThenConfDInNameOrder_ThenEnvironment_ThenCommandLine()
    {
        var config = _dir.Write("etc/gateway.json", $$"""{ "Storage": { "DataDir": "{{_dir.Combine("main")}}" } }""");
        _dir.Write("etc/conf.d/20-later.json", $$"""{ "Storage": { "DataDir": "{{_dir.Combine("twenty")}}" } }""");
        _dir.Write("etc/conf.d/10-earlier.json", $$"""{ "Storage": { "DataDir": "{{_dir.Combine("ten")}}" } }""");
        _dir.Write("etc/conf.d/30-ignored.txt", """{ "Storage": { "DataDir": "/not-json" } }""");
        Assert.Equal(_dir.Combine("twenty", "gateway.db"), await DatabasePathAsync(null, "--config", config));

        var env = new Dictionary<string, string> { ["COAPGW_Storage__DataDir"] = _dir.Combine("env") };
        Assert.Equal(_dir.Combine("env", "gateway.db"), await DatabasePathAsync(env, "--config", config));
        Assert.Equal(_dir.Combine("cli", "gateway.db"), await DatabasePathAsync(env, "--config", config, $"--Storage:DataDir={_dir.Combine("cli")}"));
    }

    [Fact]
    public async Task MalformedJsonFile_OneLineNamingTheFile_Exit2()
    {
        var config = _dir.Write("gateway.json", "{\n  \"Coap\": { \"Port\": 5683,, }\n}");
        var result = await GatewayExecutable.RunAsync(_dir.Path, ["run", "--config", config, "--Http:Port=0"]);
        Assert.True(result.ExitCode == 2, result.ToString());
        var line = Assert.Single(result.ErrorLines);
        Assert.StartsWith($"coap-gateway: {config}: not valid JSON at line 2", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MalformedDropIn_NamesTheDropIn_Exit2()
    {
        var config = _dir.Write("gateway.json", "{}");
        var dropIn = _dir.Write("conf.d/50-broken.json", "{ \"Mqtt\": ");
        var result = await GatewayExecutable.RunAsync(_dir.Path, ["status", "--config", config]);
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.StartsWith($"coap-gateway: {dropIn}: not valid JSON", Assert.Single(result.ErrorLines), StringComparison.Ordinal);
    }

    [Fact]
    public async Task MissingConfigFile_Exit2()
    {
        var missing = _dir.Combine("missing.json");
        AssertOneLine(await GatewayExecutable.RunAsync(_dir.Path, ["devices", "list", "--config", missing]), $"coap-gateway: --config: {missing}: no such file");
    }

    [Theory]
    [InlineData("--Http:Port=70000", "coap-gateway: Http:Port: 70000 is not a port")]
    [InlineData("--Coap:Port=abc", "coap-gateway: Coap:Port: 'abc' is not a valid Int32")]
    [InlineData("--Storage:MaxAge=soon", "coap-gateway: Storage:MaxAge: 'soon' is not a valid TimeSpan")]
    [InlineData("--Storage:MaxQueueBytes=10", "coap-gateway: Storage:MaxQueueBytes: 10 is below the minimum of 1048576 (1 MiB)")]
    [InlineData("--Gateway:HealthIntervalSeconds=-1", "coap-gateway: Gateway:HealthIntervalSeconds: -1 is negative (0 turns health telemetry off)")]
    [InlineData("--Http:Address=nowhere", "coap-gateway: Http:Address: 'nowhere' is not an IP address")]
    [InlineData("--Gateway:RefusalLogIntervalSeconds=0", "coap-gateway: Gateway:RefusalLogIntervalSeconds: 0 is not a whole number of seconds between 1 and 3600")]
    public async Task Run_InvalidValue_OneLineNamingTheKey_Exit2_NothingCreated(string argument, string expected)
    {
        var result = await GatewayExecutable.RunAsync(_dir.Path, ["run", argument, "--data-dir", _dir.Combine("data")]);
        AssertOneLine(result, expected);
        // Validation comes before storage opens (and before any socket): no database was created.
        Assert.False(Directory.Exists(_dir.Combine("data")));
    }

    [Fact]
    public async Task Cli_InvalidStorageValue_Exit2()
    {
        AssertOneLine(await GatewayExecutable.RunAsync(_dir.Path, ["devices", "list", "--Storage:ContentChunkSize=1"]),
            "coap-gateway: Storage:ContentChunkSize: 1 is not between 1024 and 1048576");
    }

    [Fact]
    public async Task OverrideWithoutValue_Exit2()
    {
        AssertOneLine(await GatewayExecutable.RunAsync(_dir.Path, ["run", "--Coap:Port"]), "coap-gateway: Coap:Port: missing value (use --Coap:Port=value)");
    }
}
