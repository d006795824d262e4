using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Gateway.Devices.Tests.Support;
using Gateway.Devices.ThingsBoard;
using Gateway.Storage.Attributes;
using Gateway.Storage.Content;
using Gateway.Storage.Downlinks;
using Gateway.Storage.Outbox;

namespace Gateway.Devices.Tests.Http;

/// <summary>The request/response endpoints of thingsboard.md §3 through a real HTTP client against the running Kestrel listener: codes and bodies pinned.</summary>
public sealed class HttpEndpointTests : IAsyncLifetime
{
    private readonly Support.Gateway _gateway = new();
    private HttpHost _host = null!;
    private string _token = "";

    private HttpClient Client => _host.Client;

    public async Task InitializeAsync()
    {
        _host = await HttpHost.StartAsync(_gateway, o => o.MaxPayloadBytes = 4096);
        _token = await _gateway.AddDeviceAsync("Dev A");
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        _gateway.Dispose();
    }

    private static StringContent Json(string text) => new(text, Encoding.UTF8, "application/json");

    private static async Task<string> Describe(HttpResponseMessage response) =>
        $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";

    [Fact]
    public async Task Telemetry_Answers200Empty_AfterTheRowIsCommitted()
    {
        var response = await Client.PostAsync($"/api/v1/{_token}/telemetry", Json("""{"temperature":21.5,"humidity":"40"}"""));

        Assert.Equal("200 ", await Describe(response));
        Assert.Equal(["""Telemetry Dev A [{"ts":1700000000000,"values":{"temperature":21.5,"humidity":40}}]"""], await _gateway.RowTextsAsync(OutboxMessageKind.Telemetry));
    }

    [Theory]
    [InlineData("not json", "Malformed JSON.")]
    [InlineData("", "Empty payload.")]
    [InlineData("[1]", null)]
    public async Task Telemetry_Malformed_Answers400OneLineJsonError_NotThingsBoards500(string payload, string? message)
    {
        var response = await Client.PostAsync($"/api/v1/{_token}/telemetry", Json(payload));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var body = await response.Content.ReadAsStringAsync();
        Assert.StartsWith("{\"error\":", body);
        Assert.DoesNotContain('\n', body);
        if (message is not null) Assert.Equal($$"""{"error":"{{message}}"}""", body);
        Assert.Empty(await _gateway.RowTextsAsync(OutboxMessageKind.Telemetry));
    }

    [Fact]
    public async Task EmptyArray_Answers200WithoutRow() // §1.2: ThingsBoard never answers (#6746)
    {
        Assert.Equal("200 ", await Describe(await Client.PostAsync($"/api/v1/{_token}/telemetry", Json("[]"))));
        Assert.Empty(await _gateway.RowTextsAsync(OutboxMessageKind.Telemetry));
    }

    [Theory]
    [InlineData("POST", "telemetry")]
    [InlineData("POST", "attributes")]
    [InlineData("GET", "attributes")]
    [InlineData("POST", "claim")]
    [InlineData("POST", "rpc")]
    [InlineData("POST", "rpc/1")]
    [InlineData("GET", "firmware?title=t&version=1")]
    [InlineData("GET", "attributes/updates?timeout=1")]
    [InlineData("GET", "rpc?timeout=1")]
    public async Task UnknownToken_Answers401Empty_AndIsNeverLogged(string method, string feature)
    {
        var request = new HttpRequestMessage(new HttpMethod(method), $"/api/v1/wrong-token-123/{feature}");
        if (method == "POST") request.Content = Json("""{"a":1}""");

        var response = await Client.SendAsync(request);

        Assert.Equal("401 ", await Describe(response));
        Assert.DoesNotContain(_gateway.Logs.Lines, l => l.Contains("wrong-token-123") || l.Contains(_token));
    }

    [Fact]
    public async Task Attributes_Post200_Get200BothScopes_NothingMatching200EmptyObject()
    {
        await _gateway.Attributes.SetAsync("Dev A", AttributeScope.Shared, new Dictionary<string, string> { ["limit"] = "5" }, Support.Gateway.Now);

        Assert.Equal("200 ", await Describe(await Client.PostAsync($"/api/v1/{_token}/attributes", Json("""{"fw":"v1.2","on":true}"""))));
        Assert.Equal(["""ClientAttributes Dev A {"fw":"v1.2","on":true}"""], await _gateway.RowTextsAsync(OutboxMessageKind.ClientAttributes));

        var both = await Client.GetAsync($"/api/v1/{_token}/attributes?clientKeys=fw,on&sharedKeys=limit");
        Assert.Equal("""200 {"client":{"fw":"v1.2","on":true},"shared":{"limit":5}}""", await Describe(both));
        Assert.Equal("""200 {"client":{"fw":"v1.2","on":true},"shared":{"limit":5}}""", await Describe(await Client.GetAsync($"/api/v1/{_token}/attributes")));
        Assert.Equal("""200 {"shared":{"limit":5}}""", await Describe(await Client.GetAsync($"/api/v1/{_token}/attributes?sharedKeys=limit")));
        // §3: {} where CoAP answers 4.04.
        Assert.Equal("200 {}", await Describe(await Client.GetAsync($"/api/v1/{_token}/attributes?clientKeys=nope")));
    }

    [Fact]
    public async Task Attributes_Array_Answers400()
    {
        var response = await Client.PostAsync($"/api/v1/{_token}/attributes", Json("""[{"a":1}]"""));
        Assert.Equal("""400 {"error":"Attributes must be a JSON object."}""", await Describe(response));
    }

    [Fact]
    public async Task Claim_EmptyAndWithBody_Answer200WithRows()
    {
        Assert.Equal("200 ", await Describe(await Client.PostAsync($"/api/v1/{_token}/claim", null)));
        Assert.Equal("200 ", await Describe(await Client.PostAsync($"/api/v1/{_token}/claim", Json("""{"secretKey":"s3","durationMs":60000}"""))));
        Assert.Equal(["""Claim Dev A {"secretKey":""}""", """Claim Dev A {"secretKey":"s3","durationMs":60000}"""],
            await _gateway.RowTextsAsync(OutboxMessageKind.Claim));
    }

    [Fact]
    public async Task RpcReply_Answers200_CompletesTheRpc_BadIdIs400_ArrayIs500()
    {
        await _gateway.Downlinks.EnqueueAsync("Dev A", DownlinkKind.RpcRequest, 7, """{"id":7,"method":"m","params":{}}"""u8.ToArray(), TimeSpan.FromMinutes(1));

        Assert.Equal("200 ", await Describe(await Client.PostAsync($"/api/v1/{_token}/rpc/7", Json("""{"result":"ok"}"""))));
        Assert.Equal(["""RpcReply Dev A {"id":7,"data":{"result":"ok"}}"""], await _gateway.RowTextsAsync(OutboxMessageKind.RpcReply));
        Assert.DoesNotContain(await _gateway.Downlinks.PendingAsync("Dev A"), d => d.Status != DownlinkStatus.Completed);

        Assert.Equal("""400 {"error":"RPC id must be an integer."}""", await Describe(await Client.PostAsync($"/api/v1/{_token}/rpc/abc", Json("{}"))));
        Assert.Equal("""500 {"error":"Internal error."}""", await Describe(await Client.PostAsync($"/api/v1/{_token}/rpc/7", Json("[1]"))));
    }

    [Fact]
    public async Task ClientRpc_GetCurrentTime200_Forwarded200_LinkDown503_Timeout408_NoMethod400()
    {
        Assert.Equal("""200 {"time":1700000000000}""", await Describe(await Client.PostAsync($"/api/v1/{_token}/rpc", Json("""{"method":"getCurrentTime","params":{}}"""))));

        var down = await Client.PostAsync($"/api/v1/{_token}/rpc", Json("""{"method":"x","params":1}"""));
        Assert.Equal("""503 {"error":"cloud unavailable"}""", await Describe(down));
        Assert.Equal("10", down.Headers.GetValues("Retry-After").Single());

        _gateway.Cloud.IsConnected = true;
        _gateway.Cloud.RpcAnswer = (_, method, p) => new System.Text.Json.Nodes.JsonObject { ["echo"] = method, ["p"] = p?.DeepClone() };
        Assert.Equal("""200 {"echo":"x","p":1}""", await Describe(await Client.PostAsync($"/api/v1/{_token}/rpc", Json("""{"method":"x","params":1}"""))));

        _gateway.Cloud.Hang = true;
        // §3: ThingsBoard's HTTP API answers 408 when the rule chain never replies; we add the JSON reason.
        Assert.Equal("""408 {"error":"cloud timeout"}""", await Describe(await Client.PostAsync($"/api/v1/{_token}/rpc", Json("""{"method":"x","params":1}"""))));
        Assert.Equal(HttpStatusCode.BadRequest, (await Client.PostAsync($"/api/v1/{_token}/rpc", Json("""{"params":1}"""))).StatusCode);
    }

    [Fact]
    public async Task Provision_Answers200WithStatusInBody_MalformedIs400()
    {
        _gateway.Provisioning.Profiles.Add(new() { Key = "k", Secret = "s", Type = "sensor" });

        var ok = await Client.PostAsync("/api/v1/provision", Json("""{"deviceName":"New","provisionDeviceKey":"k","provisionDeviceSecret":"s","token":"tok-new"}"""));
        Assert.Equal("""200 {"credentialsValue":"tok-new","credentialsType":"ACCESS_TOKEN","status":"SUCCESS"}""", await Describe(ok));
        var again = await Client.PostAsync("/api/v1/provision", Json("""{"deviceName":"New","provisionDeviceKey":"k","provisionDeviceSecret":"s"}"""));
        Assert.Equal("""200 {"errorMsg":"Failed to provision device!","status":"FAILURE"}""", await Describe(again));
        var wrong = await Client.PostAsync("/api/v1/provision", Json("""{"deviceName":"X","provisionDeviceKey":"k","provisionDeviceSecret":"nope"}"""));
        Assert.Equal("""200 {"errorMsg":"Provision data was not found!","status":"NOT_FOUND"}""", await Describe(wrong));
        Assert.Equal(HttpStatusCode.BadRequest, (await Client.PostAsync("/api/v1/provision", Json("{"))).StatusCode);

        // The provisioned token works over HTTP right away.
        Assert.Equal(HttpStatusCode.OK, (await Client.PostAsync("/api/v1/tok-new/telemetry", Json("""{"a":1}"""))).StatusCode);
    }

    [Fact]
    public async Task PayloadLimits_Answer413_DeclaredOrStreamed()
    {
        var big = "{\"a\":\"" + new string('x', 5000) + "\"}";
        var declared = await Client.PostAsync($"/api/v1/{_token}/telemetry", Json(big));
        Assert.Equal("""413 {"error":"Payload larger than 4096 bytes."}""", await Describe(declared));

        // Chunked transfer: no Content-Length, the cap bites while reading.
        var chunked = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(big)));
        chunked.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/{_token}/attributes") { Content = chunked };
        request.Headers.TransferEncodingChunked = true;
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await Client.SendAsync(request)).StatusCode);

        // §3: /api/v1/*/rpc/** is capped at 65 536 bytes whatever the general limit.
        var rpc = await Client.PostAsync($"/api/v1/{_token}/rpc/1", Json("{\"a\":\"" + new string('x', 65_536) + "\"}"));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, rpc.StatusCode);
        Assert.Empty(await _gateway.RowTextsAsync(OutboxMessageKind.Telemetry));
    }

    [Fact]
    public async Task WrongMethod405_UnknownPath404()
    {
        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await Client.PutAsync($"/api/v1/{_token}/telemetry", Json("{}"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Client.PostAsync($"/api/v1/{_token}/foo", Json("{}"))).StatusCode);
    }

    [Fact]
    public async Task Firmware_200WithHeaders_Chunks_MismatchOrMissing400_NoPackage404()
    {
        Assert.Equal(HttpStatusCode.NotFound, (await Client.GetAsync($"/api/v1/{_token}/firmware?title=fw&version=1.0")).StatusCode);

        var image = Enumerable.Range(0, 150_000).Select(i => (byte)(i * 7)).ToArray();
        await _gateway.Content.PutAsync(OtaService.PackageName(OtaPackageType.Firmware, "fw", "1.0"), "application/x-firmware", new MemoryStream(image));
        await _gateway.Attributes.SetAsync("Dev A", AttributeScope.Shared, new Dictionary<string, string> { ["fw_title"] = "\"fw\"", ["fw_version"] = "\"1.0\"" }, Support.Gateway.Now);

        var whole = await Client.GetAsync($"/api/v1/{_token}/firmware?title=fw&version=1.0");
        Assert.Equal(HttpStatusCode.OK, whole.StatusCode);
        Assert.Equal(image, await whole.Content.ReadAsByteArrayAsync()); // larger than one 64 KiB slice
        Assert.Equal("application/x-firmware", whole.Content.Headers.ContentType?.MediaType);
        Assert.Equal(150_000, whole.Content.Headers.ContentLength);
        Assert.Equal("attachment", whole.Content.Headers.ContentDisposition?.DispositionType);
        Assert.Equal("fw-1.0", whole.Headers.GetValues("x-filename").Single());

        var chunk = await Client.GetAsync($"/api/v1/{_token}/firmware?title=fw&version=1.0&size=1000&chunk=149");
        Assert.Equal(image[149_000..], await chunk.Content.ReadAsByteArrayAsync());
        var past = await Client.GetAsync($"/api/v1/{_token}/firmware?title=fw&version=1.0&size=1000&chunk=150");
        Assert.Equal("200 ", await Describe(past));

        Assert.Equal(HttpStatusCode.BadRequest, (await Client.GetAsync($"/api/v1/{_token}/firmware?title=fw&version=2.0")).StatusCode);
        Assert.Equal("""400 {"error":"title and version are required."}""", await Describe(await Client.GetAsync($"/api/v1/{_token}/firmware?title=fw")));
        Assert.Equal(HttpStatusCode.BadRequest, (await Client.GetAsync($"/api/v1/{_token}/firmware?title=fw&version=1.0&size=-1")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Client.GetAsync($"/api/v1/{_token}/software?title=fw&version=1.0")).StatusCode);
    }
}
