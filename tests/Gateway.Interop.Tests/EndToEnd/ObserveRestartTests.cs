using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Gateway.Coap;
using Gateway.Coap.Messages;
using Gateway.Coap.Transport;
using Gateway.Interop.Tests.Support;

namespace Gateway.Interop.Tests.EndToEnd;

/// <summary>
/// reliability.md §1.6, "observers and RPC downlink across restarts": a device observing <c>/rpc</c> keeps getting
/// the cloud's RPCs after the gateway process restarts, without registering again, and the database that carried
/// the relation across holds no token (S6).
/// </summary>
public sealed class ObserveRestartTests : IAsyncLifetime
{
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), $"coapgw-e2e-observe-{Guid.NewGuid():N}");
    private readonly CloudSide _cloud = new();
    private readonly List<GatewayProcess> _gateways = [];

    public Task InitializeAsync() => Task.CompletedTask;

    [Fact]
    public async Task RpcObserver_SurvivesAGatewayRestart_AndTheDatabaseHoldsNoToken()
    {
        _cloud.StartSubscriber($"cloud-observe-{Guid.NewGuid():N}");
        string token = await CloudSide.AddDeviceAsync(_dataDir, "Dev W");
        string[] arguments = _cloud.GatewayArguments("gateway-e2e-observe");
        var first = await GatewayProcess.StartAsync(_dataDir, arguments);
        _gateways.Add(first);
        _cloud.Diagnostics = () => string.Join("\n--- next gateway ---\n", _gateways.Select(g => g.Output));
        await _cloud.WaitAsync("v1/gateway/connect", p => (string?)p["device"] == "Dev W", "Dev W's first connect");

        using var device = new CoapEndpoint(new UdpDatagramTransport(new IPEndPoint(IPAddress.IPv6Any, 0)), null, new CoapEndpointOptions { ReceiveThreads = 1 });
        device.Start();
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var notifications = device.ObserveAsync(first.IPv4EndPoint,
            [.. $"api/v1/{token}/rpc".Split('/').Select(s => CoapOption.FromString(CoapOptionNumber.UriPath, s))], cancellationToken: limit.Token)
            .GetAsyncEnumerator(limit.Token);
        Assert.True(await notifications.MoveNextAsync());
        Assert.Equal(CoapCode.Valid, notifications.Current.Code); // thingsboard.md §2.5: 2.03, then RPCs

        // A clean stop (SIGTERM) and a new process on the same data directory and port.
        Assert.Equal(0, await first.StopAsync());
        var second = await GatewayProcess.StartAsync(_dataDir, first.Port, arguments);
        _gateways.Add(second);
        // The restore runs once the listener is up, so it may finish just after the first CoAP answer.
        for (int i = 0; i < 150 && !second.Output.Contains("Observe relations restored", StringComparison.Ordinal); i++) await Task.Delay(100);
        Assert.Contains("Observe relations restored after the restart: 1 (0 no longer accepted", second.Output, StringComparison.Ordinal);
        // The second process's own connect for Dev W (the restore re-announces it): only then is its RPC subscription live.
        int Connects() => _cloud.Messages().Count(m => m.Topic == "v1/gateway/connect" && (string?)m.Payload?["device"] == "Dev W");
        for (int i = 0; i < 150 && Connects() < 2; i++) await Task.Delay(100);
        Assert.True(Connects() >= 2, $"no connect from the restarted gateway\n{_cloud.Diagnostics?.Invoke()}");

        await _cloud.PublishAsync("v1/gateway/rpc", """{"device":"Dev W","data":{"id":77,"method":"setValve","params":{"open":true}}}""");
        Assert.True(await notifications.MoveNextAsync(), "no RPC notification after the restart");
        var rpc = JsonNode.Parse(Encoding.UTF8.GetString(notifications.Current.Payload.Span))!;
        Assert.Equal(77, (int)rpc["id"]!);
        Assert.Equal("setValve", (string?)rpc["method"]);

        // S6: the relation crossed the restart in the database, the token did not.
        await second.StopAsync();
        var tokenBytes = Encoding.UTF8.GetBytes(token);
        foreach (var file in Directory.GetFiles(_dataDir, "*", SearchOption.AllDirectories))
            Assert.True(File.ReadAllBytes(file).AsSpan().IndexOf(tokenBytes) < 0, $"{file} contains the device token");
    }

    public async Task DisposeAsync()
    {
        foreach (var gateway in _gateways) await gateway.DisposeAsync();
        _cloud.Dispose();
        try { Directory.Delete(_dataDir, recursive: true); } catch (IOException) { }
    }
}
