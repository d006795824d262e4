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
        var rows = await outbox.LeaseAsync(100, TimeSpan.FromMinutes(1));
        Assert.True(rows.Count >= 2, $"{rows.Count} health rows after 2.5 s at a 1 s interval");
        Assert.All(rows, r =>
        {
            Assert.Equal("site-gw", r.Message.Device);
            Assert.Equal(OutboxMessageKind.Telemetry, r.Message.Kind);
        });
        var record = Assert.Single(JsonDocument.Parse(rows[^1].Message.Payload).RootElement.EnumerateArray());
        Assert.True(record.GetProperty("ts").GetInt64() > 0);
        var values = record.GetProperty("values");
        foreach (var key in new[] { "uptime_s", "queue_depth", "queue_bytes", "queue_oldest_age_s", "queue_drops", "dead_letters", "devices", "link", "coap_datagrams" })
            Assert.True(values.TryGetProperty(key, out _), $"health telemetry lacks {key}: {values}");
        Assert.True(values.GetProperty("queue_depth").GetInt64() >= 1);
    }
}
