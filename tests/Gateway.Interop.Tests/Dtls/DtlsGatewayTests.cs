using System.Diagnostics;
using System.Text.Json.Nodes;
using Gateway.Interop.Tests.Support;

namespace Gateway.Interop.Tests.Dtls;

/// <summary>
/// Issue 16 end to end: libcoap's stock DTLS clients (Debian libcoap3-bin, OpenSSL and GnuTLS builds) against the
/// gateway process on coaps, with PSKs and X.509 certificates, checked at mosquitto as the cloud.
/// </summary>
public sealed class DtlsGatewayTests(DtlsGateway fixture) : IClassFixture<DtlsGateway>
{
    private static readonly string[] Clients = ["coap-client-openssl", "coap-client-gnutls"];

    private static int s_clients;

    private static Task<ProcessResult> Client(string client, params string[] arguments) =>
        ProcessRunner.RunAsync(client, ["-B", "6", .. OwnAddress(), .. arguments], TimeSpan.FromSeconds(15));

    /// <summary>
    /// A loopback source address of the client's own. libcoap's clients set SO_REUSEADDR before binding port 0, and
    /// Linux may then give two clients started together the same port: the gateway sees one peer, the cookie exchanges
    /// of both fail, and each client reports "cannot send CoAP pdu" (seen about one run in 12 of the burst test).
    /// </summary>
    private static string[] OwnAddress() => ["-a", $"127.0.1.{1 + Interlocked.Increment(ref s_clients) % 250}"];

    private static string[] Psk(string identity = "psk-a", string key = DtlsGateway.PskKey) => ["-u", identity, "-k", key];

    [Theory]
    [InlineData("coap-client-openssl")]
    [InlineData("coap-client-gnutls")]
    public async Task PskTelemetry_TokenLessUri_ReachesTheCloudAsTheSessionsDevice(string client)
    {
        var result = await Client(client, [.. Psk(), "-m", "post", "-t", "50", "-e", $$"""{"via":"{{client}}"}""", fixture.Uri("api/v1/telemetry")]);

        Assert.True(result.ExitCode == 0 && LibcoapClient.ErrorCode(result) is null, result.Describe());
        var entries = await fixture.Cloud.WaitTelemetryAsync("Psk A", 1);
        await fixture.Cloud.WaitAsync("v1/gateway/telemetry", p => p["Psk A"]?[0]?["values"]?["via"]?.GetValue<string>() == client, $"telemetry via {client}");
        Assert.NotEmpty(entries);
    }

    /// <summary>
    /// Sixteen DTLS clients at once, both builds: their cookie exchanges, handshakes and requests interleave on the
    /// gateway's receive thread and handshake workers; every client gets its 2.01 and every value reaches the cloud.
    /// </summary>
    [Fact]
    public async Task SixteenPskClientsAtOnce_EachIsAnswered_AndEveryValueReachesTheCloud()
    {
        const int Count = 16;
        var results = await Task.WhenAll(Enumerable.Range(0, Count).Select(i =>
            Client(Clients[i % 2], [.. Psk(), "-m", "post", "-t", "50", "-e", $$"""{"burst":{{i}}}""", fixture.Uri("api/v1/telemetry")])));

        // libcoap's client exits 0 also when it could not send at all (its handshake failed: "cannot send CoAP pdu").
        Assert.All(results, r => Assert.True(r.ExitCode == 0 && LibcoapClient.ErrorCode(r) is null
            && !(r.StandardOutput + r.StandardError).Contains("cannot send", StringComparison.Ordinal), r.Describe()));
        for (int i = 0; i < Count; i++)
        {
            int value = i;
            await fixture.Cloud.WaitAsync("v1/gateway/telemetry",
                p => p["Psk A"] is JsonArray entries && entries.Any(e => e?["values"]?["burst"]?.GetValue<int>() == value), $"burst value {value} of Psk A");
        }
    }

    [Fact]
    public async Task PskAttributes_PostThenGet_TokenLess()
    {
        var post = await Client("coap-client-openssl", [.. Psk("psk-b", DtlsGateway.PskBKeyText), "-m", "post", "-t", "50", "-e", """{"mode":"dtls"}""", fixture.Uri("api/v1/attributes")]);
        Assert.True(LibcoapClient.ErrorCode(post) is null, post.Describe());
        await fixture.Cloud.WaitAsync("v1/gateway/attributes", p => p["Psk B"]?["mode"] is not null, "Psk B's client attribute");

        var get = await Client("coap-client-openssl", [.. Psk("psk-b", DtlsGateway.PskBKeyText), "-m", "get", fixture.Uri("api/v1/attributes?clientKeys=mode")]);
        Assert.True(get.StandardOutput.Contains("\"mode\":\"dtls\"", StringComparison.Ordinal), get.Describe());
    }

    [Fact]
    public async Task PskSession_WithAnotherDevicesToken_Is401_WithItsOwnToken_Is201()
    {
        var other = await Client("coap-client-openssl", [.. Psk(), "-m", "post", "-e", """{"x":1}""", fixture.Uri($"api/v1/{fixture.Tokens["Token T"]}/telemetry")]);
        Assert.True(LibcoapClient.ErrorCode(other) == "4.01", other.Describe());

        var own = await Client("coap-client-openssl", [.. Psk(), "-m", "post", "-e", """{"own":1}""", fixture.Uri($"api/v1/{fixture.Tokens["Psk A"]}/telemetry")]);
        Assert.True(LibcoapClient.ErrorCode(own) is null, own.Describe());
        await fixture.Cloud.WaitAsync("v1/gateway/telemetry", p => p["Psk A"]?[0]?["values"]?["own"] is not null, "telemetry with the session's own token");
    }

    [Theory]
    [InlineData("coap-client-openssl")]
    [InlineData("coap-client-gnutls")]
    public async Task WrongKeyAndUnknownIdentity_FailTheHandshake_AndAGoodClientConnectsRightAfter(string client)
    {
        var wrong = await Client(client, [.. Psk(key: "not-the-key-at-all"), "-m", "post", "-e", """{"wrongKey":1}""", fixture.Uri("api/v1/telemetry")]);
        var unknown = await Client(client, [.. Psk(identity: "nobody"), "-m", "post", "-e", """{"unknownIdentity":1}""", fixture.Uri("api/v1/telemetry")]);

        var good = await Client(client, [.. Psk(), "-m", "post", "-e", $$"""{"goodAfter":"{{client}}"}""", fixture.Uri("api/v1/telemetry")]);
        Assert.True(good.ExitCode == 0 && LibcoapClient.ErrorCode(good) is null, good.Describe());
        await fixture.Cloud.WaitAsync("v1/gateway/telemetry", p => p["Psk A"]?[0]?["values"]?["goodAfter"]?.GetValue<string>() == client, "telemetry after failed handshakes");
        await WaitForLog("failed: UnknownIdentity");
        await WaitForLog("failed: BadKey");
        Assert.DoesNotContain(fixture.Cloud.Messages(), m => m.Payload?.ToJsonString() is { } json
            && (json.Contains("wrongKey", StringComparison.Ordinal) || json.Contains("unknownIdentity", StringComparison.Ordinal)));
        Assert.False(fixture.Gateway.HasExited);
        Assert.DoesNotContain(DtlsGateway.PskKey, fixture.Gateway.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-key-at-all", fixture.Gateway.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", fixture.Gateway.Output, StringComparison.Ordinal);
        _ = (wrong, unknown);
    }

    [Fact]
    public async Task ObserveRpc_OverPsk_ReceivesACloudRpc_AndTheReplyReachesTheCloud()
    {
        var observe = ProcessRunner.RunAsync("coap-client-openssl", [.. OwnAddress(), .. Psk(), "-s", "8", "-B", "10", "-m", "get", fixture.Uri("api/v1/rpc")], TimeSpan.FromSeconds(20));
        await Task.Delay(2000); // the registration is in place
        await fixture.Cloud.PublishAsync("v1/gateway/rpc", """{"device":"Psk A","data":{"id":41,"method":"setLed","params":{"on":true}}}""");
        var observed = await observe;
        Assert.True(observed.StandardOutput.Contains("\"method\":\"setLed\"", StringComparison.Ordinal), observed.Describe() + fixture.Gateway.Output);

        var reply = await Client("coap-client-openssl", [.. Psk(), "-m", "post", "-t", "50", "-e", """{"led":"on"}""", fixture.Uri("api/v1/rpc/41")]);
        Assert.True(LibcoapClient.ErrorCode(reply) is null, reply.Describe());
        var message = await fixture.Cloud.WaitAsync("v1/gateway/rpc", p => (string?)p["device"] == "Psk A" && p["id"] is not null, "the RPC reply");
        Assert.Equal("on", (string?)message["data"]?["led"]);
    }

    [Fact]
    public async Task FirmwareBlock2_OverPsk_DownloadsTheWholeImage()
    {
        var image = Path.Combine(fixture.Pki.Directory, "fw.bin");
        var bytes = new byte[3000];
        new Random(16).NextBytes(bytes);
        await File.WriteAllBytesAsync(image, bytes);
        var added = await ProcessRunner.RunAsync("dotnet", [GatewayProcess.AssemblyPath, "firmware", "add", "--title", "fw", "--version", "1.0", "--file", image,
            "--device", "Psk A", $"--data-dir={fixture.DataDir}"]);
        Assert.True(added.ExitCode == 0, added.Describe());
        var output = Path.Combine(fixture.Pki.Directory, "fw.out");

        var result = await Client("coap-client-openssl", [.. Psk(), "-b", "512", "-o", output, "-m", "get", fixture.Uri("api/v1/firmware?title=fw&version=1.0")]);

        Assert.True(File.Exists(output), result.Describe());
        Assert.Equal(bytes, await File.ReadAllBytesAsync(output));
    }

    [Fact]
    public async Task OneWayX509_TokenInTheUri_Works()
    {
        var result = await Client("coap-client-openssl", ["-R", fixture.Pki.CaCertificate, "-m", "post", "-e", """{"oneway":1}""", fixture.Uri($"api/v1/{fixture.Tokens["Token T"]}/telemetry")]);

        Assert.True(LibcoapClient.ErrorCode(result) is null && result.ExitCode == 0, result.Describe());
        await fixture.Cloud.WaitAsync("v1/gateway/telemetry", p => p["Token T"]?[0]?["values"]?["oneway"] is not null, "one-way DTLS telemetry");
    }

    [Theory]
    [InlineData("coap-client-openssl")]
    [InlineData("coap-client-gnutls")]
    public async Task MutualX509_RegisteredCertificate_TokenLessTelemetry(string client)
    {
        var result = await Client(client, ["-c", fixture.Pki.DeviceCertificate, "-j", fixture.Pki.DeviceKey, "-R", fixture.Pki.CaCertificate,
            "-m", "post", "-e", $$"""{"mutual":"{{client}}"}""", fixture.Uri("api/v1/telemetry")]);

        Assert.True(LibcoapClient.ErrorCode(result) is null, result.Describe() + fixture.Gateway.Output);
        await fixture.Cloud.WaitAsync("v1/gateway/telemetry", p => p["Cert C"]?[0]?["values"]?["mutual"]?.GetValue<string>() == client, "mutual-DTLS telemetry");
    }

    [Fact]
    public async Task MutualX509_CaIssuedCertificate_ActsForTheDeviceNamedByItsCn()
    {
        var result = await Client("coap-client-openssl", ["-c", fixture.Pki.CaIssuedCertificate, "-j", fixture.Pki.CaIssuedKey, "-R", fixture.Pki.CaCertificate,
            "-m", "post", "-e", """{"byCa":1}""", fixture.Uri("api/v1/telemetry")]);

        Assert.True(LibcoapClient.ErrorCode(result) is null, result.Describe());
        await fixture.Cloud.WaitAsync("v1/gateway/telemetry", p => p[TestPki.CaIssuedDevice]?[0]?["values"]?["byCa"] is not null, "CA-issued certificate telemetry");
    }

    [Fact]
    public async Task ExpiredOrUnknownClientCertificate_FailsTheHandshake_AndAGoodClientConnectsRightAfter()
    {
        foreach (var (certificate, key) in new[] { (fixture.Pki.ExpiredCertificate, fixture.Pki.ExpiredKey), (fixture.Pki.StrangerCertificate, fixture.Pki.StrangerKey) })
        {
            var refused = await Client("coap-client-openssl", ["-c", certificate, "-j", key, "-R", fixture.Pki.CaCertificate, "-m", "post", "-e", """{"bad":1}""", fixture.Uri("api/v1/telemetry")]);
            Assert.True(refused.ExitCode != 0 || LibcoapClient.ErrorCode(refused) is not null || !refused.AllOutput.Contains("2.04", StringComparison.Ordinal), refused.Describe());
        }
        await WaitForLog("BadCertificate");
        await WaitForLog("UnknownCertificate");
        var good = await Client("coap-client-openssl", ["-c", fixture.Pki.DeviceCertificate, "-j", fixture.Pki.DeviceKey, "-R", fixture.Pki.CaCertificate,
            "-m", "post", "-e", """{"after":1}""", fixture.Uri("api/v1/telemetry")]);
        Assert.True(LibcoapClient.ErrorCode(good) is null, good.Describe());
        await fixture.Cloud.WaitAsync("v1/gateway/telemetry", p => p["Cert C"]?[0]?["values"]?["after"] is not null, "telemetry after refused handshakes");
        Assert.DoesNotContain(fixture.Cloud.Messages(), m => m.Payload?.ToJsonString().Contains("\"bad\"", StringComparison.Ordinal) == true);
    }

    private async Task WaitForLog(string text)
    {
        var clock = Stopwatch.StartNew();
        while (!fixture.Gateway.Output.Contains(text, StringComparison.Ordinal) && clock.Elapsed < TimeSpan.FromSeconds(10)) await Task.Delay(100);
        Assert.True(fixture.Gateway.Output.Contains(text, StringComparison.Ordinal), $"no '{text}' in the gateway log:\n{fixture.Gateway.Output}");
    }
}
