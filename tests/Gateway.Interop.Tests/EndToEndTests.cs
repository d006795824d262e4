using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Gateway.Coap;
using Gateway.Coap.Messages;
using Gateway.Coap.Transport;
using Gateway.Interop.Tests.Support;
using Gateway.TestKit;

namespace Gateway.Interop.Tests;

/// <summary>
/// The whole product with real peers: the coap-gateway process (device added with its CLI),
/// libcoap's coap-client-notls and our own client as devices, mosquitto as the cloud with
/// mosquitto_sub/mosquitto_pub speaking ThingsBoard's gateway API (thingsboard.md §4.2).
/// </summary>
public sealed class EndToEndTests : IAsyncLifetime
{
    private readonly ConcurrentQueue<string> _cloud = new();
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), $"coapgw-e2e-{Guid.NewGuid():N}");
    private MosquittoBroker? _broker;
    private System.Diagnostics.Process? _subscriber;
    private GatewayProcess? _gateway;
    private string _token = "";

    public async Task InitializeAsync()
    {
        _broker = new MosquittoBroker();
        _subscriber = _broker.StartCloudSubscriber("cloud-e2e", _cloud);
        var added = await ProcessRunner.RunAsync("dotnet", [GatewayProcess.AssemblyPath, "devices", "add", "Dev A", "--type", "thermostat", $"--data-dir={_dataDir}"]);
        Assert.True(added.ExitCode == 0, added.Describe());
        _token = added.StandardOutput.Trim();
        _gateway = await GatewayProcess.StartAsync(_dataDir,
            "--Mqtt:Host=127.0.0.1", $"--Mqtt:Port={_broker.Port}", "--Mqtt:ClientId=gateway-e2e", "--Gateway:Name=e2e-gateway");
        // The bridge subscribes to the downlink topics once connected; its connect for Dev A shows it is up.
        await CloudLineAsync(l => l.StartsWith("v1/gateway/connect ", StringComparison.Ordinal) && l.Contains("\"Dev A\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TelemetryFromLibcoap_ReachesTheCloudAsGatewayTelemetry()
    {
        var (_, responses) = await LibcoapClient.TraceAsync("-m", "post", "-e", """{"temperature":21.5,"on":true}""",
            $"coap://127.0.0.1:{_gateway!.Port}/api/v1/{_token}/telemetry");
        Assert.Contains(responses, r => r.Code == "2.01");

        var line = await CloudLineAsync(l => l.StartsWith("v1/gateway/telemetry ", StringComparison.Ordinal) && l.Contains("\"Dev A\"", StringComparison.Ordinal));
        var entry = JsonNode.Parse(line["v1/gateway/telemetry ".Length..])!["Dev A"]![0]!;
        Assert.Equal(21.5, entry["values"]!["temperature"]!.GetValue<double>());
        Assert.True(entry["values"]!["on"]!.GetValue<bool>());
        Assert.True(entry["ts"]!.GetValue<long>() > 1_600_000_000_000);
    }

    [Fact]
    public async Task WrongToken_Gets401_AndNothingReachesTheCloud()
    {
        var result = await LibcoapClient.RunAsync("-m", "post", "-e", """{"x":1}""", $"coap://127.0.0.1:{_gateway!.Port}/api/v1/NOT_A_TOKEN/telemetry");
        Assert.Equal("4.01", LibcoapClient.ErrorCode(result));
        await Task.Delay(500);
        Assert.DoesNotContain(_cloud, l => l.Contains("\"x\":1", StringComparison.Ordinal));
    }

    [Fact]
    public async Task CloudRpc_IsObservedByTheDevice_AndItsReplyReachesTheCloud()
    {
        using var device = new CoapEndpoint(new UdpDatagramTransport(new System.Net.IPEndPoint(System.Net.IPAddress.IPv6Any, 0)), null,
            new CoapEndpointOptions { ReceiveThreads = 1 });
        device.Start();
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var path = UriPath($"api/v1/{_token}/rpc");
        await using var notifications = device.ObserveAsync(_gateway!.IPv4EndPoint, path, cancellationToken: limit.Token).GetAsyncEnumerator(limit.Token);

        Assert.True(await notifications.MoveNextAsync());
        Assert.Equal(CoapCode.Valid, notifications.Current.Code);                 // thingsboard.md §2.5: 2.03 first

        await MosquittoBroker.RunToolAsync("mosquitto_pub", "-h", "127.0.0.1", "-p", _broker!.Port.ToString(CultureInfo.InvariantCulture), "-q", "1",
            "-t", "v1/gateway/rpc", "-m", """{"device":"Dev A","data":{"id":7,"method":"setValue","params":42}}""");
        Assert.True(await notifications.MoveNextAsync());
        var rpc = JsonNode.Parse(Encoding.UTF8.GetString(notifications.Current.Payload.Span))!;
        Assert.Equal(7, rpc["id"]!.GetValue<int>());
        Assert.Equal("setValue", rpc["method"]!.GetValue<string>());
        Assert.Equal(42, rpc["params"]!.GetValue<int>());

        var reply = await device.SendRequestAsync(_gateway.IPv4EndPoint, CoapCode.Post, UriPath($"api/v1/{_token}/rpc/7"),
            Encoding.UTF8.GetBytes("""{"ok":true}"""), cancellationToken: limit.Token);
        Assert.Equal(CoapCode.Created, reply.Code);
        var line = await CloudLineAsync(l => l.StartsWith("v1/gateway/rpc ", StringComparison.Ordinal) && l.Contains("\"ok\"", StringComparison.Ordinal));
        var published = JsonNode.Parse(line["v1/gateway/rpc ".Length..])!;
        Assert.Equal("Dev A", published["device"]!.GetValue<string>());
        Assert.Equal(7, published["id"]!.GetValue<int>());
        Assert.True(published["data"]!["ok"]!.GetValue<bool>());
    }

    [Fact]
    public async Task SharedAttributeFromTheCloud_IsServedToTheDevice()
    {
        await MosquittoBroker.RunToolAsync("mosquitto_pub", "-h", "127.0.0.1", "-p", _broker!.Port.ToString(CultureInfo.InvariantCulture), "-q", "1",
            "-t", "v1/gateway/attributes", "-m", """{"device":"Dev A","data":{"target":5}}""");
        string body = "";
        for (int i = 0; i < 50 && !body.Contains("target", StringComparison.Ordinal); i++)
        {
            var result = await LibcoapClient.RunAsync("-m", "get", $"coap://127.0.0.1:{_gateway!.Port}/api/v1/{_token}/attributes?sharedKeys=target");
            body = result.StandardOutput;
            if (!body.Contains("target", StringComparison.Ordinal)) await Task.Delay(200);
        }
        Assert.Equal(5, JsonNode.Parse(body.Trim())!["shared"]!["target"]!.GetValue<int>());
    }

    private static CoapOption[] UriPath(string path) =>
        [.. path.Split('/').Select(s => CoapOption.FromString(CoapOptionNumber.UriPath, s))];

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
        if (_subscriber is { HasExited: false }) _subscriber.Kill();
        _subscriber?.Dispose();
        _broker?.Dispose();
        try { Directory.Delete(_dataDir, recursive: true); } catch (IOException) { }
    }
}
