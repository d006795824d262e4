using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using System.Text.Json.Nodes;
using Gateway.Coap;
using Gateway.Coap.Messages;
using Gateway.Coap.Transport;
using Gateway.Interop.Tests.Support;

namespace Gateway.Interop.Tests.EndToEnd;

/// <summary>
/// Issue 8: an Exosite device (peers.md §A.1) behind the gateway — activated and written by coap-client-notls,
/// observed by our client — with ThingsBoard as the cloud: a dataport write is telemetry upstream, a shared
/// attribute with the alias's key is a dataport update downstream (README "Exosite over CoAP").
/// </summary>
public sealed class ExositeEndToEndTests : IAsyncLifetime
{
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), $"coapgw-e2e-exo-{Guid.NewGuid():N}");
    private readonly CloudSide _cloud = new();
    private GatewayProcess? _gateway;

    public async Task InitializeAsync()
    {
        _cloud.StartSubscriber($"cloud-exo-{Guid.NewGuid():N}");
        await CloudSide.AddDeviceAsync(_dataDir, "Exo", "--vendor", "acme", "--model", "m1", "--sn", "0001");
        _gateway = await GatewayProcess.StartAsync(_dataDir, _cloud.GatewayArguments("gateway-e2e-exo"));
        _cloud.Diagnostics = () => "gateway log:\n" + _gateway.Output;
    }

    [Fact]
    public async Task Activate_Write_IsTelemetry_AndACloudAttributeNotifiesTheObserver()
    {
        // §A.1 activate: 2.05 + the 40-character CIK; a second activation finds nothing awaiting (4.04).
        var activated = await LibcoapClient.RunAsync("-m", "post", Uri("provision/activate/acme/m1/0001"));
        string cik = activated.StandardOutput.Trim();
        Assert.True(Regex.IsMatch(cik, "^[0-9a-f]{40}$"), activated.Describe());
        var again = await LibcoapClient.RunAsync("-m", "post", Uri("provision/activate/acme/m1/0001"));
        Assert.True(LibcoapClient.ErrorCode(again) == "4.04", again.Describe());

        // §A.1 write: POST /1a/<alias>?<CIK>, the value as text, 2.04.
        long before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var (written, responses) = await LibcoapClient.TraceAsync("-m", "post", "-e", "21.5", Uri($"1a/temp?{cik}"));
        Assert.True(responses.Any(r => r.Code == "2.04"), written.Describe());

        // Upstream it is ThingsBoard telemetry (§4.2) with the server's receipt time and the text typed as a number (§1.1).
        var message = await _cloud.WaitAsync("v1/gateway/telemetry", p => p["Exo"] is not null, "Exo's telemetry");
        long ts = message["Exo"]![0]!["ts"]!.GetValue<long>();
        Assert.InRange(ts, before - 1000, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 1000);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse($$$"""{"Exo":[{"ts":{{{ts}}},"values":{"temp":21.5}}]}"""), message), message.ToJsonString());

        // Downstream: observe /1a/setpoint?<CIK> (CIK as Uri-Query text, as libexositecoap sends it, §A.2).
        using var device = new CoapEndpoint(new UdpDatagramTransport(new IPEndPoint(IPAddress.IPv6Any, 0)), null, new CoapEndpointOptions { ReceiveThreads = 1 });
        device.Start();
        using var limit = new CancellationTokenSource(CloudSide.WaitLimit);
        CoapOption[] options = [CoapOption.FromString(CoapOptionNumber.UriPath, "1a"), CoapOption.FromString(CoapOptionNumber.UriPath, "setpoint"),
            CoapOption.FromString(CoapOptionNumber.UriQuery, cik)];
        await using var notifications = device.ObserveAsync(_gateway!.IPv4EndPoint, options, cancellationToken: limit.Token).GetAsyncEnumerator(limit.Token);
        Assert.True(await notifications.MoveNextAsync());
        var registration = notifications.Current;
        Assert.True(registration.GetUIntOption(CoapOptionNumber.Observe) is not null,
            $"{registration.Code} without Observe: the dataport cannot be observed before its first value\n{_gateway.Output}");

        await _cloud.PublishAsync("v1/gateway/attributes", """{"device":"Exo","data":{"setpoint":7}}""");
        string payload = "";
        // Max-Age refreshes repeat the last value (§A.1); skip them until the update arrives.
        while (payload != "7" && await notifications.MoveNextAsync())
            payload = Encoding.UTF8.GetString(notifications.Current.Payload.Span);
        Assert.Equal("7", payload);
        Assert.Equal(CoapCode.Content, notifications.Current.Code);
    }

    private string Uri(string path) => $"coap://127.0.0.1:{_gateway!.Port}/{path}";

    public async Task DisposeAsync()
    {
        if (_gateway is not null) await _gateway.DisposeAsync();
        _cloud.Dispose();
        try { Directory.Delete(_dataDir, recursive: true); } catch (IOException) { }
    }
}
