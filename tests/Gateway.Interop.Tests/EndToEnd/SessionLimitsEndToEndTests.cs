using System.Diagnostics;
using System.Globalization;
using System.Text;
using Gateway.Interop.Tests.Support;
using Gateway.Storage;
using Gateway.Storage.Outbox;
using Gateway.TestKit;

namespace Gateway.Interop.Tests.EndToEnd;

/// <summary>
/// Issue 23 "session limits": the real gateway process against a server that enforces ThingsBoard's
/// session limits (<see cref="ThingsBoardLimitsBroker"/>: answers <c>getSessionLimits</c>, refuses
/// with 0x97 and closes the connection over a limit, thingsboard.md §4.1, §4.4). A 100,000-row
/// backlog drains without a refusal or a reconnect at a rate within 10 % of the binding limit
/// (measured on the server's own receive clock), while live telemetry posted during the drain
/// overtakes it. The control: with the limits ignored the same server refuses, so the harness can fail.
/// </summary>
public sealed class SessionLimitsEndToEndTests : IAsyncLifetime
{
    private const int Devices = 10;
    private const int DataPointsPerSecond = 2000;   // the binding limit: one data point per row, so 2,000 rows/s
    private const string Limits = """
        {"maxPayloadSize":65536,"maxInflightMessages":8,
         "rateLimits":{"messages":"200:2","telemetryMessages":"200:2","telemetryDataPoints":"800:2"},
         "gatewayRateLimits":{"messages":"600:2","telemetryMessages":"400:2","telemetryDataPoints":"4000:2,120000:60"}}
        """;
    // Two-second windows: the server counts on its own clock when it processes a PUBLISH, so a stall of this
    // test process longer than the window (GC, a loaded CI machine) would bunch evenly paced messages into
    // one window; with one-second windows that refused a well-paced drain once on a loaded run.
    private static readonly TimeSpan DrainLimit = TimeSpan.FromSeconds(150);

    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), $"coapgw-e2e-limits-{Guid.NewGuid():N}");
    private ThingsBoardLimitsBroker? _server;
    private GatewayProcess? _gateway;

    public Task InitializeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Backlog_DrainsAtTheLimit_WithoutRefusalOrReconnect_AndLiveDataOvertakesIt()
    {
        const int backlog = 100_000;
        var token = await CloudSide.AddDeviceAsync(_dataDir, "Live");
        await FillBacklogAsync(backlog);
        _server = await ThingsBoardLimitsBroker.StartAsync(Limits);
        _gateway = await GatewayProcess.StartAsync(_dataDir, Arguments(_server.Port));

        // Live data once a fifth of the backlog is through.
        await WaitUntilAsync(() => BacklogRows() >= backlog / 5, "a fifth of the backlog");
        var live = new List<int>();
        for (int seq = 0; seq < 3; seq++)
        {
            var (result, responses) = await LibcoapClient.TraceAsync("-m", "post", "-e", $$"""{"live":{{seq}}}""",
                $"coap://127.0.0.1:{_gateway.Port}/api/v1/{token}/telemetry");
            Assert.True(responses.Any(r => r.Code == "2.01"), result.Describe());
        }

        await WaitUntilAsync(() => BacklogRows() >= backlog, "the whole backlog");
        var accepted = _server.Telemetry.ToArray();
        var drain = accepted.Where(t => BacklogRowsOf(t) > 0).ToArray();

        Assert.True(_server.Refusals == 0 && _server.Connections == 1 && _server.LimitQuestions >= 1, Describe());

        // The rate on the server's clock, after the first message (the buckets start full: that burst is allowed).
        var seconds = (drain[^1].At - drain[0].At).TotalSeconds;
        var rate = (drain.Sum(BacklogRowsOf) - BacklogRowsOf(drain[0])) / seconds;
        Assert.True(rate >= 0.9 * DataPointsPerSecond && rate <= DataPointsPerSecond, $"{rate:0} rows/s over {seconds:0.0} s\n{Describe()}");

        // Live data arrived while backlog rows were still to come: it did not wait for the drain.
        var liveArrivals = accepted.Where(t => t.DeviceRows.ContainsKey("Live")).ToArray();
        Assert.Equal(3, liveArrivals.Sum(t => t.DeviceRows["Live"]));
        Assert.All(liveArrivals, t => Assert.True(t.At < drain[^1].At, $"live data at {t.At}, drain ended {drain[^1].At}\n{Describe()}"));
    }

    [Fact]
    public async Task Control_WithTheLimitsIgnored_TheServerRefusesAndCloses()
    {
        // Ten data points a row: unpaced, even a slow machine passes 2,000 data points per second at once.
        await FillBacklogAsync(20_000, pointsPerRow: 10);
        _server = await ThingsBoardLimitsBroker.StartAsync(Limits);
        _gateway = await GatewayProcess.StartAsync(_dataDir, Arguments(_server.Port, "--Bridge:SessionLimitsSharePercent=0"));
        await WaitUntilAsync(() => _server.Refusals > 0 && _server.Connections > 1, "a 0x97 refusal and the reconnect after it");
        Assert.Equal(0, _server.LimitQuestions);
    }

    private static string[] Arguments(int port, params string[] extra) =>
        ["--Mqtt:Host=127.0.0.1", $"--Mqtt:Port={port.ToString(CultureInfo.InvariantCulture)}", $"--Mqtt:ClientId=limits-{Guid.NewGuid():N}",
         "--Gateway:HealthIntervalSeconds=0", "--Mqtt:ReconnectMaxSeconds=1", .. extra];

    /// <summary>Rows written straight into the outbox through the storage API (the gateway is not running yet): an outage's backlog in seconds.</summary>
    private async Task FillBacklogAsync(int rows, int pointsPerRow = 1)
    {
        var more = string.Concat(Enumerable.Range(1, pointsPerRow - 1).Select(k => $",\"k{k}\":{k}"));
        using var database = SqliteDatabase.Open(new StorageOptions { DataDir = _dataDir });
        await using var outbox = new SqliteOutbox(database);
        var at = DateTimeOffset.UtcNow.AddHours(-1);
        var pending = new List<Task<EnqueueResult>>(rows);
        for (int i = 0; i < rows; i++)
        {
            var ts = at.AddMilliseconds(i).ToUnixTimeMilliseconds();
            var payload = Encoding.UTF8.GetBytes($$$"""[{"ts":{{{ts}}},"values":{"v":{{{i}}}{{{more}}}}}]""");
            pending.Add(outbox.EnqueueAsync(new OutboxMessage($"Backlog {i % Devices}", OutboxMessageKind.Telemetry, payload) { ReceivedAt = at }).AsTask());
        }
        var results = await Task.WhenAll(pending);
        Assert.All(results, r => Assert.Equal(EnqueueStatus.Committed, r.Status));
    }

    private int BacklogRows() => _server!.Telemetry.Sum(BacklogRowsOf);

    private static int BacklogRowsOf(AcceptedTelemetry t) => t.DeviceRows.Where(d => d.Key.StartsWith("Backlog", StringComparison.Ordinal)).Sum(d => d.Value);

    private async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > DrainLimit) Assert.Fail($"no {what} within {DrainLimit.TotalSeconds} s\n{Describe()}");
            await Task.Delay(200);
        }
    }

    private string Describe() =>
        $"server: {_server?.Connections} connections, {_server?.Refusals} refusals, {_server?.LimitQuestions} limit questions, {BacklogRows()} backlog rows\n{_gateway?.Output}";

    public async Task DisposeAsync()
    {
        if (_gateway is not null) await _gateway.DisposeAsync();
        if (_server is not null) await _server.DisposeAsync();
        try { Directory.Delete(_dataDir, recursive: true); } catch (IOException) { }
    }
}
