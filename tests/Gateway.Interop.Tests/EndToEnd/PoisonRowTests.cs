using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Gateway.Interop.Tests.Support;
using Gateway.TestKit;

namespace Gateway.Interop.Tests.EndToEnd;

/// <summary>
/// Issue 18 "a message the broker refuses forever", against a real mosquitto whose <c>max_packet_size</c>
/// refuses a row that passes the gateway's validation. On MQTT 3.1.1 mosquitto closes the connection on
/// it (no PUBACK reason code exists), so the poison-row detection must find it; on MQTT 5 the CONNACK
/// announces the limit (§3.2.2.3.6) and the forwarder dead-letters the row before sending. Either way
/// the later rows arrive, the row is in <c>dead-letter list</c> and <c>status</c>, a retry after the
/// limit was raised delivers it and a drop removes it. Negative control: detection off stalls the queue.
/// </summary>
public sealed class PoisonRowTests : IAsyncLifetime
{
    private const string Refusing = "allow_anonymous true\nmax_packet_size 2048\n";
    private static readonly TimeSpan DetectionLimit = TimeSpan.FromSeconds(90);
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), $"coapgw-e2e-poison-{Guid.NewGuid():N}");
    private readonly CloudSide _cloud = new(brokerConfig: Refusing);
    private GatewayProcess? _gateway;
    private string _token = "";
    private int _httpPort;

    public async Task InitializeAsync()
    {
        _token = await CloudSide.AddDeviceAsync(_dataDir, "Dev P");
        _httpPort = FreePort.Tcp();
        _cloud.StartSubscriber($"cloud-poison-{Guid.NewGuid():N}");
    }

    [Theory]
    [InlineData("3.1.1", "kills_connection")]
    [InlineData("5", "too_large")]
    public async Task A_row_the_broker_refuses_is_dead_lettered_the_rest_flows_and_retry_and_drop_work(string version, string cause)
    {
        await StartGatewayAsync(version);
        await PostAsync(0, padding: 0);
        await _cloud.WaitTelemetryAsync("Dev P", 1);    // the chain is up: gateway, broker, subscriber

        await PostAsync(1, padding: 3000);               // over the broker's 2048-byte packets, within every limit of ours
        await PostAsync(2, padding: 3000);
        for (int seq = 3; seq <= 7; seq++) await PostAsync(seq, padding: 0);

        await WaitForSeqAsync(7, DetectionLimit);
        Assert.Equal([0, 3, 4, 5, 6, 7], Seqs().Distinct().Order());

        var letters = JsonNode.Parse(await CliAsync("dead-letter", "list", "--json"))!.AsArray();
        Assert.Equal(2, letters.Count);
        Assert.All(letters, l => Assert.Equal("Dev P", (string?)l!["device"]));
        Assert.All(letters, l => Assert.Equal(cause, (string?)l!["cause"]));
        var status = JsonNode.Parse(await CliAsync("status", "--json"))!;
        Assert.Equal(2, (long?)status["queue"]!["deadLettersByReason"]![cause]);
        Assert.Contains($"dead letters: 2 held ({cause.Replace('_', '-')} 2", await CliAsync("status"), StringComparison.Ordinal);
        Assert.Contains($"coapgw_bridge_dead_letters_total{{reason=\"{cause}\"}} 2", await MetricsAsync(), StringComparison.Ordinal);

        // The operator raises the broker's limit, then retries the first row and drops the second.
        _cloud.Broker.Stop();
        _cloud.Broker.ExtraConfig = "allow_anonymous true\nmax_packet_size 65536\n";
        _cloud.StartBroker();
        _cloud.StartSubscriber($"cloud-poison-{Guid.NewGuid():N}");
        long first = (long)letters[0]!["id"]!, second = (long)letters[1]!["id"]!;
        Assert.Contains("1 dead letter marked for retry", await CliAsync("dead-letter", "retry", first.ToString(CultureInfo.InvariantCulture)), StringComparison.Ordinal);
        await WaitForSeqAsync(1, DetectionLimit);
        Assert.Contains("1 dead letter dropped", await CliAsync("dead-letter", "drop", second.ToString(CultureInfo.InvariantCulture)), StringComparison.Ordinal);
        Assert.Empty(JsonNode.Parse(await CliAsync("dead-letter", "list", "--json"))!.AsArray());
        Assert.DoesNotContain(2, Seqs());
        Assert.Contains("dead letters: 0 held, 2 ever", await CliAsync("status"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Negative_control_with_detection_off_the_queue_stalls_behind_the_row()
    {
        await StartGatewayAsync("3.1.1", "--Bridge:PoisonRowLosses=0");
        await PostAsync(0, padding: 0);
        await _cloud.WaitTelemetryAsync("Dev P", 1);
        await PostAsync(1, padding: 3000);
        await PostAsync(2, padding: 0);

        // As long as detection needs with it on (the theory above), and then some: seq 2 never comes.
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(30) && !Seqs().Contains(2)) await Task.Delay(250);
        Assert.DoesNotContain(2, Seqs());
        Assert.Empty(JsonNode.Parse(await CliAsync("dead-letter", "list", "--json"))!.AsArray());
        // The row did reach the broker and kill the link, again and again (else the control would prove nothing).
        var losses = _gateway!.Output.Split('\n').Count(l => l.Contains("Cloud link down", StringComparison.Ordinal));
        Assert.True(losses >= 5, $"{losses} connection losses in 30 s\n{_gateway.Output}");
    }

    private async Task StartGatewayAsync(string version, params string[] extra)
    {
        _gateway = await GatewayProcess.StartAsync(_dataDir, _cloud.GatewayArguments($"gateway-poison-{Guid.NewGuid():N}",
            [$"--Mqtt:ProtocolVersion={version}", $"--Http:Port={_httpPort.ToString(CultureInfo.InvariantCulture)}", "--Http:Address=127.0.0.1",
             "--Storage:MaintenanceIntervalSeconds=1", .. extra]));
        _cloud.Diagnostics = () => "gateway log:\n" + _gateway.Output;
    }

    private IEnumerable<int> Seqs() => _cloud.TelemetryEntries("Dev P").Select(e => e["values"]!["seq"]!.GetValue<int>());

    private async Task WaitForSeqAsync(int seq, TimeSpan limit)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < limit && !Seqs().Contains(seq)) await Task.Delay(250);
        Assert.True(Seqs().Contains(seq), $"seq {seq} did not reach the cloud within {limit.TotalSeconds} s; it saw:\n{string.Join('\n', _cloud.Lines)}\n{_gateway?.Output}");
    }

    /// <summary>POST /api/v1/TOKEN/telemetry with curl; 200 means committed to the outbox (acknowledged data).</summary>
    private async Task PostAsync(int seq, int padding)
    {
        var body = $$"""{"seq":{{seq}},"pad":"{{new string('x', padding)}}"}""";
        var result = await ProcessRunner.RunAsync("curl", ["-sS", "--max-time", "14", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST",
            "-H", "Content-Type: application/json", "--data-binary", body, $"http://127.0.0.1:{_httpPort}/api/v1/{_token}/telemetry"], CloudSide.WaitLimit);
        Assert.True(result.StandardOutput.Trim() == "200", $"seq {seq}: {result.Describe()}\n{_gateway?.Output}");
    }

    private async Task<string> MetricsAsync()
    {
        var result = await ProcessRunner.RunAsync("curl", ["-sS", "--max-time", "14", $"http://127.0.0.1:{_httpPort}/metrics"], CloudSide.WaitLimit);
        Assert.True(result.ExitCode == 0, result.Describe());
        return result.StandardOutput;
    }

    private async Task<string> CliAsync(params string[] arguments)
    {
        var result = await ProcessRunner.RunAsync("dotnet", [GatewayProcess.AssemblyPath, .. arguments, $"--data-dir={_dataDir}"], CloudSide.WaitLimit);
        Assert.True(result.ExitCode == 0, result.Describe());
        return result.StandardOutput;
    }

    public async Task DisposeAsync()
    {
        if (_gateway is not null) await _gateway.DisposeAsync();
        _cloud.Dispose();
        try { Directory.Delete(_dataDir, recursive: true); } catch (IOException) { }
    }
}
