using Gateway.Interop.Tests.Support;

namespace Gateway.Interop.Tests;

/// <summary>
/// npm's coap-cli (the client ThingsBoard's documentation uses) against the real gateway process.
/// Over IPv4 only: coap-cli 0.7.1 cannot reach an IPv6 literal (see <see cref="CoapCli"/>).
/// </summary>
public sealed class CoapCliGatewayTests(GatewayProcessFixture fixture) : IClassFixture<GatewayProcessFixture>
{
    private string Uri(string path) => $"coap://127.0.0.1:{fixture.Gateway.Port}/{path}";

    [Fact]
    public async Task WellKnownCore_Get_Answers205()
    {
        var result = await CoapCli.RunAsync("get", Uri(".well-known/core"));

        Assert.True(CoapCli.Code(result) == "2.05", result.Describe());
        Assert.True(LinkFormatText.IsValid(CoapCli.Payload(result)), result.Describe());
    }

    [Fact]
    public async Task UnknownPath_Get_Answers404()
    {
        var result = await CoapCli.RunAsync("get", Uri("no/such/resource"));

        Assert.True(CoapCli.Code(result) == "4.04", result.Describe());
        Assert.True(result.ExitCode == 0, result.Describe()); // like libcoap, exit 0 on an error code
    }

    [Fact]
    public async Task WellKnownCore_AcceptJsonOption_Answers406()
    {
        // -O takes a raw option: Accept (17) = 0x32 = 50, application/json.
        var result = await CoapCli.RunAsync("get", "-O", "17,0x32", Uri(".well-known/core"));

        Assert.True(CoapCli.Code(result) == "4.06", result.Describe());
    }

    [Fact]
    public async Task QuietNonConfirmableGet_PrintsNoStatus()
    {
        var result = await CoapCli.RunAsync("get", "-c", "-q", Uri(".well-known/core"));

        Assert.True(result.ExitCode == 0 && !result.TimedOut, result.Describe());
        Assert.Null(CoapCli.Code(result));
    }
}
