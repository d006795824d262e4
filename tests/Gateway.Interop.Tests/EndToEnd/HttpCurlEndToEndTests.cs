using Gateway.TestKit;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Gateway.Interop.Tests.Support;

namespace Gateway.Interop.Tests.EndToEnd;

/// <summary>
/// Issue 9: ThingsBoard's HTTP device API (thingsboard.md §3) driven by curl against the real gateway, mosquitto as
/// the cloud: telemetry upstream, a server-side RPC over the long poll and its reply, an attribute-update long poll.
/// </summary>
public sealed class HttpCurlEndToEndTests : IAsyncLifetime
{
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), $"coapgw-e2e-http-{Guid.NewGuid():N}");
    private readonly CloudSide _cloud = new();
    private GatewayProcess? _gateway;
    private string _token = "";
    private int _httpPort;

    public async Task InitializeAsync()
    {
        _cloud.StartSubscriber($"cloud-http-{Guid.NewGuid():N}");
        _token = await CloudSide.AddDeviceAsync(_dataDir, "Dev H");
        _httpPort = FreePort.Tcp();
        // GatewayProcess passes --Http:Port=0 before these arguments; the later value wins (checked by the curls below).
        _gateway = await GatewayProcess.StartAsync(_dataDir, _cloud.GatewayArguments("gateway-e2e-http",
            $"--Http:Port={_httpPort.ToString(CultureInfo.InvariantCulture)}", "--Http:Address=127.0.0.1"));
        _cloud.Diagnostics = () => "gateway log:\n" + _gateway.Output;
        // Downlinks are only subscribed once the bridge is up; Dev H's connect shows it is.
        await _cloud.WaitAsync("v1/gateway/connect", p => (string?)p["device"] == "Dev H", "Dev H's connect");
    }

    [Fact]
    public async Task Telemetry_Is200_AndReachesTheCloud()
    {
        var (status, _) = await CurlAsync("-X", "POST", "-H", "Content-Type: application/json", "-d", """{"t":1}""", Url("telemetry"));

        Assert.Equal(200, status);   // §3: 200, empty
        var entries = await _cloud.WaitTelemetryAsync("Dev H", 1);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"t":1}"""), entries[0]["values"]), entries[0].ToJsonString());
    }

    [Fact]
    public async Task ServerSideRpc_OverTheLongPoll_AndItsReplyReachesTheCloud()
    {
        var poll = CurlAsync(Url("rpc?timeout=10000"));
        await Task.Delay(500);   // the RPC queue would hold it for a later poll anyway (README), this just exercises the waiting poll
        await _cloud.PublishAsync("v1/gateway/rpc", """{"device":"Dev H","data":{"id":3,"method":"m","params":{}}}""");

        var (status, body) = await poll;
        Assert.Equal(200, status);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"id":3,"method":"m","params":{}}"""), JsonNode.Parse(body)), body);  // §1.4

        var (replied, _) = await CurlAsync("-X", "POST", "-H", "Content-Type: application/json", "-d", """{"r":1}""", Url("rpc/3"));
        Assert.Equal(200, replied);
        var reply = await _cloud.WaitAsync("v1/gateway/rpc", p => p["id"] is not null, "Dev H's RPC reply");
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"device":"Dev H","id":3,"data":{"r":1}}"""), reply), reply.ToJsonString());  // §4.2
    }

    [Fact]
    public async Task AttributeUpdatesLongPoll_GetsTheFlatUpdate_And408WhenNothingComes()
    {
        // §3: the poll waits for the next change (no current state first), so it must be waiting before the publish.
        // The same update is re-published until the poll answers: on a loaded machine the poll may be
        // registered after the first publish, and an update nobody waits for is not kept (as in ThingsBoard).
        var poll = CurlAsync(Url("attributes/updates?timeout=10000"));
        for (int attempt = 0; attempt < 12 && !poll.IsCompleted; attempt++)
        {
            await Task.Delay(500);
            await _cloud.PublishAsync("v1/gateway/attributes", """{"device":"Dev H","data":{"k":42}}""");
            await Task.WhenAny(poll, Task.Delay(500));
        }

        var (status, body) = await poll;
        Assert.Equal(200, status);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"k":42}"""), JsonNode.Parse(body)), body);   // §1.3 flat update

        var (timedOut, _) = await CurlAsync(Url("attributes/updates?timeout=300"));
        Assert.Equal(408, timedOut);   // §3: 408 on timeout
    }

    private string Url(string feature) => $"http://127.0.0.1:{_httpPort}/api/v1/{_token}/{feature}";

    /// <summary>curl with the status code on a last line of its own; bounded at 15 s.</summary>
    private async Task<(int Status, string Body)> CurlAsync(params string[] arguments)
    {
        var result = await ProcessRunner.RunAsync("curl", ["-sS", "--max-time", "14", "-w", "\n%{http_code}", .. arguments], CloudSide.WaitLimit);
        Assert.True(result.ExitCode == 0, result.Describe() + "\n" + _gateway?.Output);
        string output = result.StandardOutput;
        int last = output.LastIndexOf('\n');
        return (int.Parse(output[(last + 1)..], CultureInfo.InvariantCulture), output[..last]);
    }

    public async Task DisposeAsync()
    {
        if (_gateway is not null) await _gateway.DisposeAsync();
        _cloud.Dispose();
        try { Directory.Delete(_dataDir, recursive: true); } catch (IOException) { }
    }
}
