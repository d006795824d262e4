using Gateway.Interop.Tests.Support;
using Gateway.TestKit;

namespace Gateway.Interop.Tests.EndToEnd;

/// <summary>
/// The coap-gateway process as a ThingsBoard gateway device (issue 23), mosquitto as the server: its
/// own client attributes and telemetry on <c>v1/devices/me/*</c>, service RPCs answered from the running
/// host, and <c>gateway_restart</c> ending the process with exit code 75 for systemd to restart it.
/// </summary>
public sealed class GatewayDeviceEndToEndTests : IAsyncLifetime
{
    private readonly CloudSide _cloud = new();
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), $"coapgw-gwdev-{Guid.NewGuid():N}");
    private GatewayProcess? _gateway;

    public async Task InitializeAsync()
    {
        _cloud.StartSubscriber($"cloud-gwdev-{Guid.NewGuid():N}", "v1/devices/me/#", "v1/gateway/#");
        await CloudSide.AddDeviceAsync(_dataDir, "Dev A", "--type", "thermostat");
        await Task.Delay(300);  // mosquitto_sub subscribed (the gateway's first rows are queued anyway, but not for a late subscriber)
        // Health telemetry at its default interval (the first row comes right after start).
        _gateway = await GatewayProcess.StartAsync(_dataDir, _cloud.GatewayArguments("gateway-device-e2e", "--Gateway:Name=edge-7", "--Gateway:HealthIntervalSeconds=60"));
        _cloud.Diagnostics = () => "gateway log:\n" + _gateway.Output;
    }

    [Fact]
    public async Task GatewayDevice_ReportsItselfOnItsOwnTopics_AnswersServiceRpcs_AndRestartExits75()
    {
        var attributes = await _cloud.WaitLineAsync(l => l.StartsWith("v1/devices/me/attributes ", StringComparison.Ordinal));
        Assert.Contains("\"name\":\"edge-7\"", attributes, StringComparison.Ordinal);
        Assert.Contains("\"architecture\":", attributes, StringComparison.Ordinal);
        var telemetry = await _cloud.WaitLineAsync(l => l.StartsWith("v1/devices/me/telemetry ", StringComparison.Ordinal));
        Assert.Contains("\"uptime_s\":", telemetry, StringComparison.Ordinal);
        // The gateway is not one of its own sub-devices any more.
        Assert.DoesNotContain(_cloud.Lines, l => l.StartsWith("v1/gateway/", StringComparison.Ordinal) && l.Contains("edge-7", StringComparison.Ordinal));

        await _cloud.PublishAsync("v1/devices/me/rpc/request/21", """{"method":"gateway_ping","params":{}}""");
        Assert.Equal("""v1/devices/me/rpc/response/21 {"code":200,"resp":"pong"}""",
            await _cloud.WaitLineAsync(l => l.StartsWith("v1/devices/me/rpc/response/21 ", StringComparison.Ordinal)));
        await _cloud.PublishAsync("v1/devices/me/rpc/request/22", """{"method":"gateway_devices","params":{}}""");
        Assert.Equal("""v1/devices/me/rpc/response/22 {"code":200,"resp":{"Dev A":"thingsboard"}}""",
            await _cloud.WaitLineAsync(l => l.StartsWith("v1/devices/me/rpc/response/22 ", StringComparison.Ordinal)));
        await _cloud.PublishAsync("v1/devices/me/rpc/request/23", """{"method":"gateway_stats","params":{}}""");
        Assert.Contains("\"queue_depth\":", await _cloud.WaitLineAsync(l => l.StartsWith("v1/devices/me/rpc/response/23 ", StringComparison.Ordinal)), StringComparison.Ordinal);

        await _cloud.PublishAsync("v1/devices/me/rpc/request/24", """{"method":"gateway_restart","params":0}""");
        Assert.Equal("""v1/devices/me/rpc/response/24 {"code":200,"resp":"restarting in 0 s"}""",
            await _cloud.WaitLineAsync(l => l.StartsWith("v1/devices/me/rpc/response/24 ", StringComparison.Ordinal)));
        for (int i = 0; i < 150 && !_gateway!.HasExited; i++) await Task.Delay(100);
        Assert.True(_gateway!.HasExited, "the gateway did not stop after gateway_restart:\n" + _gateway.Output);
        Assert.Equal(75, await _gateway.StopAsync());
    }

    public async Task DisposeAsync()
    {
        if (_gateway is not null) await _gateway.DisposeAsync();
        _cloud.Dispose();
        try { Directory.Delete(_dataDir, recursive: true); } catch (IOException) { }
    }
}
