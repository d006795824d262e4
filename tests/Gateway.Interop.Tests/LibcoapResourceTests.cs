using Gateway.Interop.Tests.Support;

namespace Gateway.Interop.Tests;

/// <summary>libcoap's coap-client against our server hosted in this process over real UDP.</summary>
public sealed class LibcoapResourceTests(InProcessServerFixture server) : IClassFixture<InProcessServerFixture>
{
    [Fact]
    public async Task Get_Answers205WithText()
    {
        var (result, responses) = await LibcoapClient.TraceAsync("-m", "get", server.Uri("test"));

        Assert.True(responses is [{ Type: "ACK", Code: "2.05" }], result.Describe());
        Assert.Equal(InProcessServerFixture.GetText, responses[0].Payload);
        Assert.Contains("Content-Format:text/plain", responses[0].Options, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_OverIPv6_Answers205()
    {
        var (result, responses) = await LibcoapClient.TraceAsync("-m", "get", $"coap://[::1]:{server.Port}/test");

        Assert.True(responses is [{ Code: "2.05", Payload: InProcessServerFixture.GetText }], result.Describe());
    }

    [Fact]
    public async Task Post_Answers201EchoingThePayload()
    {
        var (result, responses) = await LibcoapClient.TraceAsync("-m", "post", "-t", "50", "-e", "{\"temperature\":21}", server.Uri("test"));

        Assert.True(responses is [{ Type: "ACK", Code: "2.01" }], result.Describe());
        Assert.Equal("{\"temperature\":21}", responses[0].Payload);
        Assert.Contains("Content-Format:application/json", responses[0].Options, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Put_Answers204()
    {
        var (result, responses) = await LibcoapClient.TraceAsync("-m", "put", "-e", "on", server.Uri("test"));

        Assert.True(responses is [{ Type: "ACK", Code: "2.04", Payload: "put:on" }], result.Describe());
    }

    [Fact]
    public async Task Delete_Answers202WithoutPayload()
    {
        var (result, responses) = await LibcoapClient.TraceAsync("-m", "delete", server.Uri("test"));

        Assert.True(responses is [{ Type: "ACK", Code: "2.02", Payload: null }], result.Describe());
    }

    [Theory]
    [InlineData("fetch", "test")]       // a method the resource has no handler for
    [InlineData("post", "sensors/temp")] // a GET-only resource
    public async Task UnsupportedMethod_Answers405(string method, string path)
    {
        var result = await LibcoapClient.RunAsync("-m", method, "-e", "x", server.Uri(path));

        Assert.True(LibcoapClient.ErrorCode(result) == "4.05", result.Describe());
    }

    [Fact]
    public async Task SlowResource_GetsEmptyAckThenSeparateConResponse()
    {
        var (result, responses) = await LibcoapClient.TraceAsync("-m", "get", server.Uri("slow"));

        // A separate response is a CON of its own (§5.2.2); a piggybacked one would be the ACK.
        Assert.True(responses is [{ Type: "CON", Code: "2.05", Payload: InProcessServerFixture.SlowText }], result.Describe());
        Assert.Contains(InProcessServerFixture.SlowText, result.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WellKnownCore_ListsEveryResourceWithItsAttributes()
    {
        // The listing comes in 32-byte Block2 blocks (RFC 7252 §11.3); libcoap reassembles them on stdout.
        var result = await LibcoapClient.RunAsync("-m", "get", server.Uri(".well-known/core"));

        var links = result.StandardOutput.Trim();
        Assert.True(LinkFormatText.IsValid(links), result.Describe());
        Assert.Equal(["/config", "/sensors/light", "/sensors/temp", "/slow", "/test"], LinkFormatText.Targets(links).Order(StringComparer.Ordinal));
        Assert.Contains("</sensors/temp>;rt=\"temperature-c\";if=\"sensor\";ct=0;obs", links, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("rt=temperature-c", "/sensors/temp")]
    [InlineData("rt=temp*", "/sensors/temp")]
    [InlineData("if=sensor", "/sensors/light,/sensors/temp")]
    [InlineData("rt=core.config", "/config")]
    [InlineData("href=/sensors/*", "/sensors/light,/sensors/temp")]
    [InlineData("rt=nothing-like-this", "")]
    public async Task WellKnownCore_QueryFilter_ListsOnlyMatchingLinks(string query, string expected)
    {
        var result = await LibcoapClient.RunAsync("-m", "get", server.Uri($".well-known/core?{query}"));

        Assert.True(result.ExitCode == 0 && LibcoapClient.ErrorCode(result) is null, result.Describe());
        var targets = LinkFormatText.Targets(result.StandardOutput.Trim()).Order(StringComparer.Ordinal);
        Assert.Equal(expected, string.Join(',', targets));
    }
}
