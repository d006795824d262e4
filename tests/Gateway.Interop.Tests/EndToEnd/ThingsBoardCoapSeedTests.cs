using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Gateway.Coap;
using Gateway.Coap.Messages;
using Gateway.Coap.Transport;
using Gateway.Interop.Tests.Support;

namespace Gateway.Interop.Tests.EndToEnd;

/// <summary>
/// Issue 7: ThingsBoard's CoAP examples (thingsboard.md §1.2–§1.6, §2.3–§2.5) sent by real clients — libcoap's
/// coap-client-notls, npm's coap CLI, our CoapEndpoint — through the real gateway process, checked as the exact
/// gateway-API messages mosquitto hands to the cloud (§4.2).
/// </summary>
public sealed class ThingsBoardCoapSeedTests(SeedGateway seed) : IClassFixture<SeedGateway>
{
    private CloudSide Cloud => seed.Cloud;

    [Fact]
    public async Task TelemetryObject_FromLibcoap_IsOneGatewayTelemetryMessageWithServerTime()
    {
        long before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await LibcoapPostAsync("Dev A", "telemetry", """{"temperature":21.5,"on":true,"mode":"eco","n":42}""", "2.01");

        var message = await Cloud.WaitAsync("v1/gateway/telemetry", p => p["Dev A"] is not null, "Dev A's telemetry");
        // §4.2: {"Dev A":[{"ts":..,"values":{..}}]}; §1.2: an object gets the server's time.
        long ts = message["Dev A"]![0]!["ts"]!.GetValue<long>();
        Assert.InRange(ts, before - 1000, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 1000);
        AssertJson($$$"""{"Dev A":[{"ts":{{{ts}}},"values":{"temperature":21.5,"on":true,"mode":"eco","n":42}}]}""", message);
    }

    [Fact]
    public async Task ArrayOfObjects_FromTheNpmCli_SharesOneServerTimestamp()
    {
        var result = await CoapCli.RunAsync("post", "-p", """[{"a":1},{"b":true}]""", seed.Uri($"api/v1/{seed.Tokens["Dev B"]}/telemetry"));
        Assert.True(CoapCli.Code(result) == "2.01", result.Describe());

        var entries = await Cloud.WaitTelemetryAsync("Dev B", 1);
        await Task.Delay(300); // a second entry may travel in a later message
        entries = Cloud.TelemetryEntries("Dev B");
        // §1.2: all elements of an array of plain objects share one (server) timestamp; ThingsBoard keeps one entry per element.
        Assert.Single(entries.Select(e => e["ts"]!.GetValue<long>()).Distinct());
        var values = new JsonObject();
        foreach (var entry in entries)
            foreach (var (key, value) in entry["values"]!.AsObject()) values[key] = value?.DeepClone();
        AssertJson("""{"a":1,"b":true}""", values);
    }

    [Fact]
    public async Task TsValuesForms_FromBothClients_KeepTheDeviceTimestamps()
    {
        // §1.2 ts object with the npm CLI, then the array of ts objects with libcoap.
        var result = await CoapCli.RunAsync("post", "-p", """{"ts":1451649600512,"values":{"k":2.5,"s":"x"}}""",
            seed.Uri($"api/v1/{seed.Tokens["Dev C"]}/telemetry"));
        Assert.True(CoapCli.Code(result) == "2.01", result.Describe());
        var first = await Cloud.WaitAsync("v1/gateway/telemetry", p => p["Dev C"] is not null, "Dev C's ts telemetry");
        AssertJson("""{"Dev C":[{"ts":1451649600512,"values":{"k":2.5,"s":"x"}}]}""", first);

        await LibcoapPostAsync("Dev C", "telemetry", """[{"ts":1451649601000,"values":{"k":3}},{"ts":1451649602000,"values":{"k":4}}]""", "2.01");
        var entries = await Cloud.WaitTelemetryAsync("Dev C", 3);
        AssertJson("""
            [{"ts":1451649600512,"values":{"k":2.5,"s":"x"}},{"ts":1451649601000,"values":{"k":3}},{"ts":1451649602000,"values":{"k":4}}]
            """, new JsonArray([.. entries.Select(e => e.DeepClone())]));
    }

    [Fact]
    public async Task AttributePublish_BecomesGatewayAttributes()
    {
        await LibcoapPostAsync("Dev A", "attributes", """{"firmware":"1.2.3","serial":77}""", "2.01");

        var message = await Cloud.WaitAsync("v1/gateway/attributes", p => p["Dev A"] is not null, "Dev A's client attributes");
        AssertJson("""{"Dev A":{"firmware":"1.2.3","serial":77}}""", message);   // §4.2 gw→cloud attributes
    }

    [Fact]
    public async Task AttributeRequest_AnswersClientAndSharedScopes_FromBothClients()
    {
        string token = seed.Tokens["Dev R"];
        await LibcoapPostAsync("Dev R", "attributes", """{"mode":"auto"}""", "2.01");
        await Cloud.PublishAsync("v1/gateway/attributes", """{"device":"Dev R","data":{"target":5}}""");

        // §2.3: GET /attributes?clientKeys=..&sharedKeys=.. → {"client":{..},"shared":{..}}. The cloud's update arrives
        // asynchronously, so poll (bounded) until the shared key is there.
        string body = "";
        for (int i = 0; i < 50 && !body.Contains("target", StringComparison.Ordinal); i++)
        {
            if (i > 0) await Task.Delay(200);
            var result = await LibcoapClient.RunAsync("-m", "get", seed.Uri($"api/v1/{token}/attributes?clientKeys=mode&sharedKeys=target"));
            body = result.StandardOutput.Trim();
        }
        AssertJson("""{"client":{"mode":"auto"},"shared":{"target":5}}""", JsonNode.Parse(body));

        // The npm CLI drops the URL's query, so the Uri-Query options go in as -O 15,… (peers.md: coap-cli 0.7.1).
        var cli = await CoapCli.RunAsync("get", "-O", "15,sharedKeys=target", seed.Uri($"api/v1/{token}/attributes"));
        Assert.True(CoapCli.Code(cli) == "2.05", cli.Describe());
        AssertJson("""{"shared":{"target":5}}""", JsonNode.Parse(CoapCli.Payload(cli)));   // §1.3: an empty scope is omitted

        // A key the gateway never saw is asked upstream (§4.2 attributes/request, one scope per request); the cloud's
        // "nothing found" answer (only id and device) makes the device's GET a 4.04 (§2.3).
        var pending = ProcessRunner.RunAsync(Peers.LibcoapClient, ["-B", "12", "-m", "get", seed.Uri($"api/v1/{token}/attributes?sharedKeys=nosuchkey")],
            TimeSpan.FromSeconds(15));
        // Match the key too: a GET above that ran before the cloud's update was cached asked upstream for "target".
        var request = await Cloud.WaitAsync("v1/gateway/attributes/request",
            p => (string?)p["device"] == "Dev R" && p.ToJsonString().Contains("nosuchkey", StringComparison.Ordinal), "Dev R's attribute request");
        Assert.False(request["client"]!.GetValue<bool>());
        Assert.True((string?)request["key"] == "nosuchkey" || request["keys"] is JsonArray { Count: 1 } keys && (string?)keys[0] == "nosuchkey",
            request.ToJsonString());
        await Cloud.PublishAsync("v1/gateway/attributes/response", $$"""{"id":{{request["id"]!.ToJsonString()}},"device":"Dev R"}""");
        var none = await pending;
        Assert.True(LibcoapClient.ErrorCode(none) == "4.04", none.Describe());
    }

    [Fact]
    public async Task AttributeObserve_FirstCurrentSharedAttributes_ThenEachCloudUpdate()
    {
        await Cloud.PublishAsync("v1/gateway/attributes", """{"device":"Dev O","data":{"level":1}}""");
        string token = seed.Tokens["Dev O"];
        // The first update must be in the gateway's cache before observing, or the first 2.05 is legitimately {}.
        for (int i = 0; i < 50; i++)
        {
            var result = await LibcoapClient.RunAsync("-m", "get", seed.Uri($"api/v1/{token}/attributes?sharedKeys=level"));
            if (result.StandardOutput.Contains("level", StringComparison.Ordinal)) break;
            await Task.Delay(200);
        }

        using var device = new CoapEndpoint(new UdpDatagramTransport(new IPEndPoint(IPAddress.IPv6Any, 0)), null, new CoapEndpointOptions { ReceiveThreads = 1 });
        device.Start();
        using var limit = new CancellationTokenSource(CloudSide.WaitLimit);
        await using var notifications = device.ObserveAsync(seed.Gateway.IPv4EndPoint, UriPath($"api/v1/{token}/attributes"), cancellationToken: limit.Token)
            .GetAsyncEnumerator(limit.Token);

        // §2.5: 2.05 with Observe and the flat current shared attributes.
        Assert.True(await notifications.MoveNextAsync());
        Assert.Equal(CoapCode.Content, notifications.Current.Code);
        Assert.NotNull(notifications.Current.GetUIntOption(CoapOptionNumber.Observe));
        AssertJson("""{"level":1}""", JsonNode.Parse(Encoding.UTF8.GetString(notifications.Current.Payload.Span)));

        await Cloud.PublishAsync("v1/gateway/attributes", """{"device":"Dev O","data":{"level":2,"color":"red"}}""");
        Assert.True(await notifications.MoveNextAsync());
        Assert.Equal(CoapCode.Content, notifications.Current.Code);
        AssertJson("""{"level":2,"color":"red"}""", JsonNode.Parse(Encoding.UTF8.GetString(notifications.Current.Payload.Span)));  // §1.3 flat update
    }

    [Fact]
    public async Task Claim_BecomesGatewayClaim()
    {
        await LibcoapPostAsync("Dev K", "claim", """{"secretKey":"abc","durationMs":60000}""", "2.01");

        var message = await Cloud.WaitAsync("v1/gateway/claim", p => p["Dev K"] is not null, "Dev K's claim");
        AssertJson("""{"Dev K":{"secretKey":"abc","durationMs":60000}}""", message);   // §4.2 claim
    }

    [Fact]
    public async Task Provisioning_Returns201WithCredentials_AndTheNewTokenReachesTheCloud()
    {
        var (result, responses) = await LibcoapClient.TraceAsync("-m", "post", "-e",
            """{"deviceName":"Dev P","provisionDeviceKey":"prov-key","provisionDeviceSecret":"prov-secret"}""", seed.Uri("api/v1/provision"));
        Assert.True(responses.Any(r => r.Code == "2.01"), result.Describe());
        // §1.6 success shape: {"credentialsValue":"<token>","credentialsType":"ACCESS_TOKEN","status":"SUCCESS"}.
        var credentials = JsonNode.Parse(responses.First(r => r.Code == "2.01").Payload ?? "")!;
        Assert.Equal("SUCCESS", (string?)credentials["status"]);
        Assert.Equal("ACCESS_TOKEN", (string?)credentials["credentialsType"]);
        string token = credentials["credentialsValue"]!.GetValue<string>();
        Assert.False(string.IsNullOrWhiteSpace(token));

        var telemetry = await LibcoapClient.TraceAsync("-m", "post", "-e", """{"provisioned":1}""", seed.Uri($"api/v1/{token}/telemetry"));
        Assert.True(telemetry.Responses.Any(r => r.Code == "2.01"), telemetry.Result.Describe());
        var entries = await Cloud.WaitTelemetryAsync("Dev P", 1);
        AssertJson("""{"provisioned":1}""", entries[0]["values"]);
        // The profile's type names the device profile in the connect (§4.2).
        var connect = await Cloud.WaitAsync("v1/gateway/connect", p => (string?)p["device"] == "Dev P", "Dev P's connect");
        Assert.Equal("sensor", (string?)connect["type"]);

        // §1.6: the same name again is FAILURE, which CoAP answers 4.00 (§2.3).
        var again = await LibcoapClient.RunAsync("-m", "post", "-e",
            """{"deviceName":"Dev P","provisionDeviceKey":"prov-key","provisionDeviceSecret":"prov-secret"}""", seed.Uri("api/v1/provision"));
        Assert.True(LibcoapClient.ErrorCode(again) == "4.00", again.Describe());
    }

    [Fact]
    public async Task ClientSideRpc_GetCurrentTime_IsAnsweredWithTheTime()
    {
        long before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var result = await CoapCli.RunAsync("post", "-p", """{"method":"getCurrentTime","params":{}}""", seed.Uri($"api/v1/{seed.Tokens["Dev T"]}/rpc"));

        Assert.True(CoapCli.Code(result) == "2.05", result.Describe());          // §2.3 client-side RPC → 2.05 + reply JSON
        long time = JsonNode.Parse(CoapCli.Payload(result))!["time"]!.GetValue<long>();
        Assert.InRange(time, before - 1000, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 1000);
    }

    private async Task LibcoapPostAsync(string device, string feature, string body, string expectedCode)
    {
        var (result, responses) = await LibcoapClient.TraceAsync("-m", "post", "-e", body, seed.Uri($"api/v1/{seed.Tokens[device]}/{feature}"));
        Assert.True(responses.Any(r => r.Code == expectedCode), result.Describe());
    }

    private static CoapOption[] UriPath(string path) =>
        [.. path.Split('/').Select(s => CoapOption.FromString(CoapOptionNumber.UriPath, s))];

    private static void AssertJson(string expected, JsonNode? actual) =>
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), actual), $"expected {expected}\nactual   {actual?.ToJsonString()}");
}
