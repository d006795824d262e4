using System.Globalization;
using Gateway.Interop.Tests.Support;

namespace Gateway.Interop.Tests.EndToEnd;

/// <summary>
/// Issues 6 and 7, store-and-forward across a dead cloud and a crash: devices write while no broker listens, the
/// gateway is SIGKILLed, then the broker comes up and the gateway restarts on the same data directory — "a killed
/// gateway restarts and drains its backlog" (thingsboard.md §4.4, §5.3: acknowledged data must not be lost).
/// </summary>
public sealed class BrokerDownBacklogTests : IAsyncLifetime
{
    private const int PerDevice = 10;
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), $"coapgw-e2e-down-{Guid.NewGuid():N}");
    private readonly CloudSide _cloud = new(listening: false);
    private readonly List<GatewayProcess> _gateways = [];

    public Task InitializeAsync() => Task.CompletedTask;

    [Fact]
    public async Task AcknowledgedTelemetry_SurvivesNoBrokerAndSigkill_AndArrivesInPerDeviceOrder()
    {
        var tokens = new Dictionary<string, string>
        {
            ["Dev X"] = await CloudSide.AddDeviceAsync(_dataDir, "Dev X"),
            ["Dev Y"] = await CloudSide.AddDeviceAsync(_dataDir, "Dev Y"),
        };
        string[] arguments = _cloud.GatewayArguments("gateway-e2e-down");
        var first = await GatewayProcess.StartAsync(_dataDir, arguments);
        _gateways.Add(first);
        _cloud.Diagnostics = () => string.Join("\n--- next gateway ---\n", _gateways.Select(g => g.Output));

        // 20 writes, interleaved between the two devices; each 2.01 means "committed" (README: after the SQLite commit).
        for (int seq = 0; seq < PerDevice; seq++)
            foreach (var (device, token) in tokens)
            {
                var (result, responses) = await LibcoapClient.TraceAsync("-m", "post", "-e", $$"""{"seq":{{seq}}}""",
                    $"coap://127.0.0.1:{first.Port}/api/v1/{token}/telemetry");
                Assert.True(responses.Any(r => r.Code == "2.01"), $"{device} #{seq}: {result.Describe()}\n{first.Output}");
            }
        long writtenBy = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        // SIGKILL: no graceful stop, no flush — only what the 2.01s promised survives.
        await ProcessRunner.RunAsync("kill", ["-9", first.Pid.ToString(CultureInfo.InvariantCulture)]);
        for (int i = 0; i < 50 && !first.HasExited; i++) await Task.Delay(100);
        Assert.True(first.HasExited, "the gateway survived kill -9");

        _cloud.StartBroker();
        _cloud.StartSubscriber($"cloud-down-{Guid.NewGuid():N}");
        // The subscriber is a fresh client on a fresh broker: anything it sees was published after this point, so
        // the counts below also show nothing was published (or lost) while the broker was down.
        await Task.Delay(300);
        _gateways.Add(await GatewayProcess.StartAsync(_dataDir, arguments));

        foreach (var device in tokens.Keys)
        {
            var entries = await _cloud.WaitTelemetryAsync(device, PerDevice);
            await Task.Delay(200);
            entries = _cloud.TelemetryEntries(device);
            // Exactly once here (nothing was ever in flight), in the devices' order (README: per-device FIFO).
            Assert.Equal(Enumerable.Range(0, PerDevice), entries.Select(e => e["values"]!["seq"]!.GetValue<int>()));
            // The timestamps are the write times kept in the outbox, not the publish time (§1.2 server time at receipt).
            Assert.All(entries, e => Assert.True(e["ts"]!.GetValue<long>() <= writtenBy, e.ToJsonString()));
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var gateway in _gateways) await gateway.DisposeAsync();
        _cloud.Dispose();
        try { Directory.Delete(_dataDir, recursive: true); } catch (IOException) { }
    }
}
