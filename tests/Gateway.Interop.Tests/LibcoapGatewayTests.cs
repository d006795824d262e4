using Gateway.Interop.Tests.Support;

namespace Gateway.Interop.Tests;

/// <summary>libcoap's coap-client against the real gateway process.</summary>
public sealed class LibcoapGatewayTests(GatewayProcessFixture fixture) : IClassFixture<GatewayProcessFixture>
{
    private int Port => fixture.Gateway.Port;

    /// <summary>Both device APIs' entry points (RFC 6690 §4), never a token or CIK (issue 17).</summary>
    private const string Listing =
        "</1a>;rt=\"exosite.1a\";ct=60,</api/v1/provision>;rt=\"tb.provision\";ct=50,</fw>;rt=\"tb.fw\";ct=42," +
        "</provision/activate>;rt=\"exosite.activate\",</rpc>;rt=\"exosite.rpc\";ct=\"50 60\",</sw>;rt=\"tb.sw\";ct=42," +
        "</ts>;rt=\"exosite.ts\";ct=42";

    [Theory]
    [InlineData("[::1]")]
    [InlineData("127.0.0.1")]
    public async Task WellKnownCore_Get_Answers205WithLinkFormat(string host)
    {
        var (result, responses) = await LibcoapClient.TraceAsync("-m", "get", $"coap://{host}:{Port}/.well-known/core");

        // RFC 7252 §11.3: the listing comes in 32-byte Block2 blocks, which libcoap follows on its own (RFC 7959 §2.4).
        Assert.True(responses is [{ Type: "ACK", Code: "2.05" }, ..], result.Describe());
        Assert.Contains("Content-Format:application/link-format", responses[0].Options, StringComparison.Ordinal);
        Assert.Contains("Block2:0/M/32", responses[0].Options, StringComparison.Ordinal);
        Assert.True(result.ExitCode == 0, result.Describe());
    }

    [Theory]
    [InlineData("[::1]")]
    [InlineData("127.0.0.1")]
    public async Task WellKnownCore_Get_ListsTheEntryPointsOfBothApis(string host)
    {
        var result = await LibcoapClient.RunAsync("-m", "get", $"coap://{host}:{Port}/.well-known/core");

        Assert.True(result.StandardOutput.Trim() == Listing, result.Describe());
        Assert.True(LinkFormatText.IsValid(result.StandardOutput.Trim()), result.Describe());
    }

    [Theory]
    [InlineData("rt=tb.*", "</api/v1/provision>;rt=\"tb.provision\";ct=50,</fw>;rt=\"tb.fw\";ct=42,</sw>;rt=\"tb.sw\";ct=42")]
    [InlineData("rt=exosite.ts", "</ts>;rt=\"exosite.ts\";ct=42")]
    [InlineData("href=/provision*", "</provision/activate>;rt=\"exosite.activate\"")]
    [InlineData("ct=60", "</1a>;rt=\"exosite.1a\";ct=60,</rpc>;rt=\"exosite.rpc\";ct=\"50 60\"")]
    public async Task WellKnownCore_QueryFilter_ListsTheMatchingLinks(string query, string expected)
    {
        // RFC 6690 §4.1, with 16-byte blocks asked for (-b 16): the filtered listing is reassembled the same.
        var result = await LibcoapClient.RunAsync("-b", "16", "-m", "get", $"coap://[::1]:{Port}/.well-known/core?{query}");

        Assert.True(result.StandardOutput.Trim() == expected, result.Describe());
    }

    [Fact]
    public async Task WellKnownCore_AcceptLinkFormat_Answers205()
    {
        var (result, responses) = await LibcoapClient.TraceAsync("-m", "get", "-A", "40", $"coap://[::1]:{Port}/.well-known/core");

        Assert.True(responses is [{ Code: "2.05" }, ..], result.Describe());
    }

    [Fact]
    public async Task WellKnownCore_AcceptJson_Answers406()
    {
        var result = await LibcoapClient.RunAsync("-m", "get", "-A", "50", $"coap://[::1]:{Port}/.well-known/core");

        Assert.True(LibcoapClient.ErrorCode(result) == "4.06", result.Describe());
    }

    [Fact]
    public async Task ForwardProxyRequest_Answers505()
    {
        // libcoap's -P sends the whole URI as Proxy-Uri to the gateway (RFC 7252 §5.10.2: not a proxy → 5.05).
        var result = await LibcoapClient.RunAsync("-m", "get", "-P", $"coap://127.0.0.1:{Port}", "coap://example.org/.well-known/core");

        Assert.True(LibcoapClient.ErrorCode(result) == "5.05", result.Describe());
    }

    [Fact]
    public async Task UnknownPath_Get_Answers404()
    {
        var result = await LibcoapClient.RunAsync("-m", "get", $"coap://127.0.0.1:{Port}/no/such/thing");

        Assert.True(LibcoapClient.ErrorCode(result) == "4.04", result.Describe());
        Assert.True(result.ExitCode == 0, result.Describe()); // libcoap exits 0 on error codes: the code is the signal
    }

    [Fact]
    public async Task NonConfirmableGet_IsAnsweredWithNon205()
    {
        var (result, responses) = await LibcoapClient.TraceAsync("-N", "-m", "get", $"coap://[::1]:{Port}/.well-known/core");

        Assert.True(responses is [{ Type: "NON", Code: "2.05" }, ..], result.Describe());
    }
}
