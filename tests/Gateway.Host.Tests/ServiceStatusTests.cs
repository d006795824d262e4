using System.Text.Json;
using Gateway.Host.Tests.Support;
using Gateway.Storage;
using Gateway.Storage.Outbox;

namespace Gateway.Host.Tests;

/// <summary><c>status</c> beside the running service, and the gateway's health telemetry in the outbox.</summary>
public sealed class ServiceStatusTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Status_WhileTheServiceRuns_ShowsItRunning_ThenNotRunningAfterStop()
    {
        var data = _dir.Combine("data");
        await using var gateway = await RunningGateway.StartAsync(data, ["--Gateway:StatusIntervalSeconds=1"]);
        var added = await GatewayExecutable.RunAsync(_dir.Path, ["devices", "add", "live-device", "--data-dir", data]);
        Assert.True(added.ExitCode == 0, added.ToString());

        var text = await GatewayExecutable.RunAsync(_dir.Path, ["status", "--data-dir", data]);
        Assert.True(text.ExitCode == 0, text.ToString());
        Assert.Contains($"service:      running, pid {gateway.Pid}", text.Stdout, StringComparison.Ordinal);
        Assert.Contains("healthy", text.Stdout, StringComparison.Ordinal);
        Assert.Contains("link:         disabled", text.Stdout, StringComparison.Ordinal);
        Assert.Contains("devices:      1", text.Stdout, StringComparison.Ordinal);

        var json = JsonDocument.Parse((await GatewayExecutable.RunAsync(_dir.Path, ["status", "--json", "--data-dir", data])).Stdout).RootElement;
        Assert.True(json.GetProperty("service").GetProperty("running").GetBoolean());
        Assert.Equal(gateway.Pid, json.GetProperty("service").GetProperty("pid").GetInt32());
        Assert.Equal("disabled", json.GetProperty("link").GetProperty("state").GetString());

        Assert.Equal(0, await gateway.StopAsync());
        var stopped = await GatewayExecutable.RunAsync(_dir.Path, ["status", "--data-dir", data]);
        Assert.Contains("service:      not running", stopped.Stdout, StringComparison.Ordinal);
    }

    // Issue 20.5: status said "oldest 0 s" while /metrics said 26 s for the same idle backlog.
    [Fact]
    public async Task Status_AgainstARealBacklog_ShowsTheSameOldestAgeAsMetrics()
    {
        var data = _dir.Combine("data");
        var added = await GatewayExecutable.RunAsync(_dir.Path, ["devices", "add", "aging", "--data-dir", data]);
        Assert.True(added.ExitCode == 0, added.ToString());
        await using var gateway = await RunningGateway.StartAsync(data, ["--Gateway:StatusIntervalSeconds=1", "--Gateway:HealthIntervalSeconds=0"]);

        // One row, then nothing: the service commits (and saves its clock) only this once.
        var post = new System.Diagnostics.ProcessStartInfo("coap-client-notls") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "-m", "post", "-e", "{\"t\":1}", $"coap://[::1]:{gateway.CoapPort}/api/v1/{added.Stdout.Trim()}/telemetry" }) post.ArgumentList.Add(argument);
        using (var client = System.Diagnostics.Process.Start(post)!)
        {
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await client.WaitForExitAsync(limit.Token);
            Assert.True(client.ExitCode == 0, await client.StandardError.ReadToEndAsync());
        }
        await Task.Delay(TimeSpan.FromSeconds(5));

        var status = JsonDocument.Parse((await GatewayExecutable.RunAsync(_dir.Path, ["status", "--json", "--data-dir", data])).Stdout).RootElement.GetProperty("queue");
        using var http = new HttpClient();
        var metrics = await http.GetStringAsync(new Uri(gateway.HttpBase, "metrics"));
        var fromMetrics = double.Parse(metrics.Split('\n').Single(l => l.StartsWith("coapgw_outbox_oldest_age_seconds ", StringComparison.Ordinal)).Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);

        Assert.True(status.GetProperty("depth").GetInt64() >= 1); // the telemetry row (and the device's connect announcement)
        var fromStatus = status.GetProperty("oldestAgeSeconds").GetInt64();
        Assert.True(fromStatus >= 4, $"status says the row is {fromStatus} s old after 5 s");
        Assert.True(Math.Abs(fromStatus - fromMetrics) <= 1.5, $"status {fromStatus} s, metrics {fromMetrics} s");
    }

    // Issue 20.6: a read-only command never creates a database; it says where it looked.
    [Theory]
    [InlineData("status")]
    [InlineData("devices", "list")]
    [InlineData("content", "list")]
    [InlineData("devices", "remove", "nobody")]
    public async Task ReadOnlyCommand_WithoutADatabase_SaysWhereItLooked_AndCreatesNothing(params string[] command)
    {
        var result = await GatewayExecutable.RunAsync(_dir.Path, command);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Equal($"coap-gateway: no gateway database in {_dir.Combine("data")}; name the service's data directory with --data-dir DIR " +
            "(or Storage:DataDir; the installed service's is /var/lib/coap-gateway)", Assert.Single(result.ErrorLines));
        Assert.False(Directory.Exists(_dir.Combine("data")));
    }

    [Fact]
    public async Task HealthTelemetry_IsQueuedForTheGatewayDevice_AtTheInterval()
    {
        var data = _dir.Combine("data");
        await using (var gateway = await RunningGateway.StartAsync(data, ["--Gateway:Name=site-gw", "--Gateway:HealthIntervalSeconds=1"]))
        {
            await Task.Delay(2500);
            Assert.Equal(0, await gateway.StopAsync());
        }

        using var database = SqliteDatabase.Open(new StorageOptions { DataDir = data });
        await using var outbox = new SqliteOutbox(database);
        var all = await outbox.LeaseAsync(100, TimeSpan.FromMinutes(1));
        Assert.All(all, r => Assert.Equal("site-gw", r.Message.Device));
        // The gateway device's own kinds (v1/devices/me/*): its client attributes once, then telemetry.
        var attributes = Assert.Single(all, r => r.Message.Kind == OutboxMessageKind.GatewayAttributes);
        var attributeValues = JsonDocument.Parse(attributes.Message.Payload).RootElement;
        foreach (var key in new[] { "version", "architecture", "os", "runtime", "started_at", "name" })
            Assert.True(attributeValues.TryGetProperty(key, out _), $"gateway attributes lack {key}: {attributeValues}");
        var rows = all.Where(r => r.Message.Kind != OutboxMessageKind.GatewayAttributes).ToList();
        Assert.True(rows.Count >= 2, $"{rows.Count} health rows after 2.5 s at a 1 s interval");
        Assert.All(rows, r => Assert.Equal(OutboxMessageKind.GatewayTelemetry, r.Message.Kind));
        var record = Assert.Single(JsonDocument.Parse(rows[^1].Message.Payload).RootElement.EnumerateArray());
        Assert.True(record.GetProperty("ts").GetInt64() > 0);
        var values = record.GetProperty("values");
        foreach (var key in new[] { "uptime_s", "queue_depth", "queue_bytes", "queue_oldest_age_s", "queue_drops", "dead_letters", "devices", "link", "coap_datagrams" })
            Assert.True(values.TryGetProperty(key, out _), $"health telemetry lacks {key}: {values}");
        Assert.True(values.GetProperty("queue_depth").GetInt64() >= 2);
    }
}
