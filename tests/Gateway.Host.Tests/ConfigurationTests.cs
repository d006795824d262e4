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

    // `devices add` creates the database where the configuration points; `status` then reports that path.
    private async Task<string> DatabasePathAsync(IReadOnlyDictionary<string, string>? environment, params string[] arguments)
    {
        var add = await GatewayExecutable.RunAsync(_dir.Path, ["devices", "add", $"probe-{Guid.NewGuid():N}", .. arguments], environment);
        Assert.True(add.ExitCode == 0, add.ToString());
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
    public async Task DeduplicationTableTooLarge_OneLine_Exit2()
    {
        var result = await GatewayExecutable.RunAsync(_dir.Path, ["run", $"--data-dir={_dir.Combine("data")}", "--Http:Port=0", "--Coap:Port=0", "--Coap:DeduplicationCapacity=100000000"]);
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Equal("coap-gateway: Coap:DeduplicationCapacity: 100000000 must be 16..4194304", Assert.Single(result.ErrorLines));
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
    [InlineData("--Gateway:RefusalLogIntervalSeconds=0", "coap-gateway: Gateway:RefusalLogIntervalSeconds: 0 is not between 1 and 3600")]
    [InlineData("--Coap:AckTimeoutSeconds=0.5", "coap-gateway: Coap:AckTimeoutSeconds: 0.5 must be 1..600 (RFC 7252 §4.8.1: not below 1 s)")]
    [InlineData("--Coap:AckRandomFactor=0.9", "coap-gateway: Coap:AckRandomFactor: 0.9 must be 1.0..10 (RFC 7252 §4.8.1: not below 1.0)")]
    [InlineData("--Coap:MaxRetransmit=21", "coap-gateway: Coap:MaxRetransmit: 21 must be 0..20")]
    [InlineData("--Coap:Nstart=0", "coap-gateway: Coap:Nstart: 0 must be 1..64 (RFC 7252 §4.7)")]
    [InlineData("--Coap:Multicast:MaxResponsesPerSecond=0", "coap-gateway: Coap:Multicast:MaxResponsesPerSecond: 0 must be more than 0 and at most 10000")]
    [InlineData("--Coap:ProbingRate=0", "coap-gateway: Coap:ProbingRate: 0 must be more than 0 bytes/s (RFC 7252 §4.7)")]
    [InlineData("--Coap:MaxBlockSize=100", "coap-gateway: Coap:MaxBlockSize: 100 must be 16, 32, 64, 128, 256, 512 or 1024 (RFC 7959 §2.2)")]
    [InlineData("--Coap:BusyPollMicroseconds=-1", "coap-gateway: Coap:BusyPollMicroseconds: -1 must be 0..10000")]
    [InlineData("--Coap:DefaultLeisureSeconds=-1", "coap-gateway: Coap:DefaultLeisureSeconds: -1 must be 0..600 (RFC 7252 §8.2)")]
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
    // Issue 20.3: a typo is not silently ignored, wherever it was written.
    [Fact]
    public async Task UnknownKey_OnTheCommandLine_NamesTheNearestKnownKey_Exit2_NothingCreated()
    {
        var result = await GatewayExecutable.RunAsync(_dir.Path, ["run", "--Mqtt:Hots=broker", "--data-dir", _dir.Combine("data")]);
        AssertOneLine(result, "coap-gateway: Mqtt:Hots: unknown key (did you mean Mqtt:Host?); set on the command line");
        Assert.False(Directory.Exists(_dir.Combine("data")));
    }

    [Fact]
    public async Task UnknownKey_InTheEnvironment_NamesTheVariable_Exit2()
    {
        var env = new Dictionary<string, string> { ["COAPGW_Mqqt__Host"] = "broker" };
        AssertOneLine(await GatewayExecutable.RunAsync(_dir.Path, ["run", "--data-dir", _dir.Combine("data")], env),
            "coap-gateway: Mqqt:Host: unknown key (did you mean Mqtt:Host?); set by the environment variable COAPGW_Mqqt__Host");
    }

    [Fact]
    public async Task UnknownKeys_InAFileAndADropIn_OneLineEach_NamingTheFile_Exit2()
    {
        var config = _dir.Write("gateway.json", """{ "Coap": { "Prot": 5683 }, "Provisioning": { "Profiles": [ { "Key": "k", "Secret": "s", "Type": "t", "Secrte": "x" } ] } }""");
        var dropIn = _dir.Write("conf.d/10-site.json", """{ "Storage": { "MaxQueueByte": 1048576 }, "Telemetry": { "Anything": 1 } }""");
        var result = await GatewayExecutable.RunAsync(_dir.Path, ["status", "--config", config]);
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Equal(
        [
            $"coap-gateway: Coap:Prot: unknown key (did you mean Coap:Port?); set in {config}",
            $"coap-gateway: Provisioning:Profiles:0:Secrte: unknown key (did you mean Provisioning:Profiles:*:Secret?); set in {config}",
            $"coap-gateway: Storage:MaxQueueByte: unknown key (did you mean Storage:MaxQueueBytes?); set in {dropIn}",
            $"coap-gateway: Telemetry:Anything: unknown key; set in {dropIn}",
        ], result.ErrorLines);
    }

    [Fact]
    public async Task EveryKeyTheReadmeShowsInTheExampleConfiguration_IsKnown()
    {
        var readme = File.ReadAllText(Path.Combine(RepositoryRoot(), "README.md"));
        var start = readme.IndexOf("```json", StringComparison.Ordinal);
        Assert.True(start >= 0, "README has no ```json example configuration");
        var end = readme.IndexOf("```", start + 7, StringComparison.Ordinal);
        var config = _dir.Write("example.json", readme[(start + 7)..end]);
        var result = await GatewayExecutable.RunAsync(_dir.Path, ["devices", "add", "example", "--config", config, "--data-dir", _dir.Combine("data")]);
        Assert.True(result.ExitCode == 0, result.ToString());
    }

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Gateway.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Gateway.sln not found above the test binaries");
    }

    // Issue 20.2: a log level the logger cannot parse crashed the gateway (SIGABRT, exit 134) at its first log line.
    [Theory]
    [InlineData("--Logging:LogLevel:Default=Verbose", "coap-gateway: Logging:LogLevel:Default: 'Verbose' is not a log level (Trace, Debug, Information, Warning, Error, Critical, None); set on the command line")]
    [InlineData("--Logging:Console:LogLevel:Gateway.Coap=Loud", "coap-gateway: Logging:Console:LogLevel:Gateway.Coap: 'Loud' is not a log level (Trace, Debug, Information, Warning, Error, Critical, None); set on the command line")]
    public async Task BadLogLevel_OneLineNamingTheKeyAndTheLevels_Exit2(string argument, string expected)
    {
        AssertOneLine(await GatewayExecutable.RunAsync(_dir.Path, ["run", argument, "--data-dir", _dir.Combine("data")]), expected);
    }

    [Fact]
    public async Task GoodLogLevel_AnyCase_IsAccepted()
    {
        var result = await GatewayExecutable.RunAsync(_dir.Path, ["devices", "add", "levels", "--Logging:LogLevel:Default=debug", "--Logging:LogLevel:Gateway.Coap=Warning", "--data-dir", _dir.Combine("data")]);
        Assert.True(result.ExitCode == 0, result.ToString());
    }

    // Issue 20.8: one vocabulary for the MQTT version: "5" or "3.1.1", as documented and logged.
    [Theory]
    [InlineData("4")]
    [InlineData("5.0")]
    [InlineData("3")]
    public async Task MqttProtocolVersion_OnlyFiveOr311_Exit2(string version)
    {
        AssertOneLine(await GatewayExecutable.RunAsync(_dir.Path, ["run", $"--Mqtt:ProtocolVersion={version}", "--Mqtt:Host=127.0.0.1", "--data-dir", _dir.Combine("data")]),
            $"coap-gateway: Mqtt:ProtocolVersion: '{version}' is not 5 or 3.1.1");
    }
}
