using Gateway.Interop.Tests.Support;

namespace Gateway.Interop.Tests;

/// <summary>libcoap's coap-client against the real gateway process.</summary>
public sealed class LibcoapGatewayTests(GatewayProcessFixture fixture) : IClassFixture<GatewayProcessFixture>
{
    private int Port => fixture.Gateway.Port;

    [Theory]
    [InlineData("[::1]")]
    [InlineData("127.0.0.1")]
    public async Task WellKnownCore_Get_Answers205WithLinkFormat(string host)
    {
        var (result, responses) = await LibcoapClient.TraceAsync("-m", "get", $"coap://{host}:{Port}/.well-known/core");

        var response = Assert.Single(responses);
        Assert.True(response is { Type: "ACK", Code: "2.05" }, result.Describe());
        Assert.Contains("Content-Format:application/link-format", response.Options, StringComparison.Ordinal);
        Assert.True(LinkFormatText.IsValid(response.Payload ?? ""), result.Describe());
        Assert.True(result.ExitCode == 0, result.Describe());
    }

    [Fact]
    public async Task WellKnownCore_AcceptLinkFormat_Answers205()
    {
        var (result, responses) = await LibcoapClient.TraceAsync("-m", "get", "-A", "40", $"coap://[::1]:{Port}/.well-known/core");

        Assert.True(responses is [{ Code: "2.05" }], result.Describe());
    }

    [Fact]
    public async Task WellKnownCore_AcceptJson_Answers406()
    {
        var result = await LibcoapClient.RunAsync("-m", "get", "-A", "50", $"coap://[::1]:{Port}/.well-known/core");

        Assert.True(LibcoapClient.ErrorCode(result) == "4.06", result.Describe());
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

        Assert.True(responses is [{ Type: "NON", Code: "2.05" }], result.Describe());
    }
}
