using System.Collections.Concurrent;
using System.Globalization;
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
    private readonly ConcurrentQueue<string> _cloud = new();
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), $"coapgw-gwdev-{Guid.NewGuid():N}");
    private MosquittoBroker? _broker;
    private System.Diagnostics.Process? _subscriber;
    private GatewayProcess? _gateway;

    public async Task InitializeAsync()
    {
        _broker = new MosquittoBroker();
        _subscriber = MosquittoBroker.StartTool("mosquitto_sub", "-h", "127.0.0.1", "-p", _broker.Port.ToString(CultureInfo.InvariantCulture),
            "-t", "v1/devices/me/#", "-t", "v1/gateway/#", "-q", "1", "-v");
        _subscriber.OutputDataReceived += (_, e) => { if (e.Data is not null) _cloud.Enqueue(e.Data); };
        _subscriber.BeginOutputReadLine();
        var added = await ProcessRunner.RunAsync("dotnet", [GatewayProcess.AssemblyPath, "devices", "add", "Dev A", "--type", "thermostat", $"--data-dir={_dataDir}"]);
        Assert.True(added.ExitCode == 0, added.Describe());
        await Task.Delay(300);  // mosquitto_sub subscribed (the gateway's first rows are queued anyway, but not for a late subscriber)
        _gateway = await GatewayProcess.StartAsync(_dataDir,
            "--Mqtt:Host=127.0.0.1", $"--Mqtt:Port={_broker.Port}", "--Mqtt:ClientId=gateway-device-e2e", "--Gateway:Name=edge-7");
    }

    [Fact]
    public async Task GatewayDevice_ReportsItselfOnItsOwnTopics_AnswersServiceRpcs_AndRestartExits75()
    {
        var attributes = await CloudLineAsync(l => l.StartsWith("v1/devices/me/attributes ", StringComparison.Ordinal));
        Assert.Contains("\"name\":\"edge-7\"", attributes, StringComparison.Ordinal);
        Assert.Contains("\"architecture\":", attributes, StringComparison.Ordinal);
        var telemetry = await CloudLineAsync(l => l.StartsWith("v1/devices/me/telemetry ", StringComparison.Ordinal));
        Assert.Contains("\"uptime_s\":", telemetry, StringComparison.Ordinal);
        // The gateway is not one of its own sub-devices any more.
        Assert.DoesNotContain(_cloud, l => l.StartsWith("v1/gateway/", StringComparison.Ordinal) && l.Contains("edge-7", StringComparison.Ordinal));

        await PublishAsync("v1/devices/me/rpc/request/21", """{"method":"gateway_ping","params":{}}""");
        Assert.Equal("""v1/devices/me/rpc/response/21 {"code":200,"resp":"pong"}""",
            await CloudLineAsync(l => l.StartsWith("v1/devices/me/rpc/response/21 ", StringComparison.Ordinal)));
        await PublishAsync("v1/devices/me/rpc/request/22", """{"method":"gateway_devices","params":{}}""");
        Assert.Equal("""v1/devices/me/rpc/response/22 {"code":200,"resp":{"Dev A":"thingsboard"}}""",
            await CloudLineAsync(l => l.StartsWith("v1/devices/me/rpc/response/22 ", StringComparison.Ordinal)));
        await PublishAsync("v1/devices/me/rpc/request/23", """{"method":"gateway_stats","params":{}}""");
        Assert.Contains("\"queue_depth\":", await CloudLineAsync(l => l.StartsWith("v1/devices/me/rpc/response/23 ", StringComparison.Ordinal)), StringComparison.Ordinal);

        await PublishAsync("v1/devices/me/rpc/request/24", """{"method":"gateway_restart","params":0}""");
        Assert.Equal("""v1/devices/me/rpc/response/24 {"code":200,"resp":"restarting in 0 s"}""",
            await CloudLineAsync(l => l.StartsWith("v1/devices/me/rpc/response/24 ", StringComparison.Ordinal)));
        for (int i = 0; i < 150 && !_gateway!.HasExited; i++) await Task.Delay(100);
        Assert.True(_gateway!.HasExited, "the gateway did not stop after gateway_restart:\n" + _gateway.Output);
        Assert.Equal(75, await _gateway.StopAsync());
    }

    private Task PublishAsync(string topic, string payload) =>
        MosquittoBroker.RunToolAsync("mosquitto_pub", "-h", "127.0.0.1", "-p", _broker!.Port.ToString(CultureInfo.InvariantCulture), "-q", "1", "-t", topic, "-m", payload);

    private async Task<string> CloudLineAsync(Func<string, bool> match)
    {
        for (int i = 0; i < 150; i++)
        {
            var line = _cloud.FirstOrDefault(match);
            if (line is not null) return line;
            await Task.Delay(100);
        }
        Assert.Fail($"the cloud did not receive the expected message within 15 s; it saw:\n{string.Join('\n', _cloud)}\ngateway log:\n{_gateway?.Output}");
        return "";
    }

    public async Task DisposeAsync()
    {
        if (_gateway is not null) await _gateway.DisposeAsync();
        _subscriber?.Kill();
        _subscriber?.Dispose();
        _broker?.Dispose();
        try { Directory.Delete(_dataDir, recursive: true); } catch (IOException) { }
    }
}
