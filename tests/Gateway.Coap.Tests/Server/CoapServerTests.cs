using Gateway.Coap.Messages;
using Gateway.Coap.Server;
using Gateway.Coap.Transport;

namespace Gateway.Coap.Tests.Server;

public class CoapServerTests
{
    private static readonly PeerAddress Peer = PeerAddress.From(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 40000));

    private static CoapRequest Request(CoapCode method, string path, params string[] query) =>
        CoapRequest.Create(method, Peer,
            [.. path.Split('/', StringSplitOptions.RemoveEmptyEntries).Select(s => CoapOption.FromString(CoapOptionNumber.UriPath, s)),
             .. query.Select(q => CoapOption.FromString(CoapOptionNumber.UriQuery, q))]);

    private static CoapServer SampleServer()
    {
        var server = new CoapServer();
        var temp = server.Add("sensors", new DelegateResource("temp").On(CoapCode.Get, _ => CoapResponse.Text(CoapCode.Content, "21.5")));
        temp.Attributes.ResourceTypes.Add("temperature-c");
        temp.Attributes.Interfaces.Add("sensor");
        temp.Attributes.ContentFormats.Add(0);
        temp.Attributes.Observable = true;
        var light = server.Add("sensors", new DelegateResource("light").On(CoapCode.Get, _ => CoapResponse.Text(CoapCode.Content, "12")));
        light.Attributes.ResourceTypes.Add("light-lux");
        light.Attributes.Interfaces.Add("sensor");
        light.Attributes.Title = "Ambient light";
        server.Add("api/v1/{token}", new DelegateResource("telemetry")
            .On(CoapCode.Post, r => CoapResponse.Text(CoapCode.Created, r.RouteValues["token"])));
        return server;
    }

    [Fact]
    public async Task Discovery_IsServedFromACache_ThatEveryChangeToWhatItShowsRefreshes()
    {
        var server = SampleServer();
        async Task<string> Discover() => (await server.HandleAsync(Request(CoapCode.Get, ".well-known/core"), default)).PayloadText;
        const string Initial = "</sensors/light>;rt=\"light-lux\";if=\"sensor\";title=\"Ambient light\",</sensors/temp>;rt=\"temperature-c\";if=\"sensor\";ct=0;obs";

        var first = await server.HandleAsync(Request(CoapCode.Get, ".well-known/core"), default);
        Assert.Equal(Initial, first.PayloadText);
        // Unchanged tree: the very same response object, nothing rebuilt or allocated.
        Assert.Same(first, await server.HandleAsync(Request(CoapCode.Get, ".well-known/core"), default));

        var door = server.Add("sensors", new DelegateResource("door").On(CoapCode.Get, _ => CoapResponse.Text(CoapCode.Content, "open")));
        Assert.StartsWith("</sensors/door>,</sensors/light>", await Discover());
        door.Attributes.ResourceTypes.Add("door-state");
        Assert.StartsWith("</sensors/door>;rt=\"door-state\",", await Discover());
        door.Attributes.ContentFormats.Add(50);
        door.Attributes.MaximumSize = 64;
        Assert.StartsWith("</sensors/door>;rt=\"door-state\";ct=50;sz=64,", await Discover());
        door.Attributes.ResourceTypes[0] = "door";
        Assert.StartsWith("</sensors/door>;rt=\"door\";ct=50;sz=64,", await Discover());
        door.Visible = false;
        Assert.Equal(Initial, await Discover());
        server.Root.GetOrAddPath("sensors").Children.Single(c => c.Name == "temp").Attributes.Observable = false;
        Assert.EndsWith("ct=0", await Discover());
        // A filtered query is answered from the tree, not the cache.
        Assert.Equal("</sensors/light>;rt=\"light-lux\";if=\"sensor\";title=\"Ambient light\"",
            (await server.HandleAsync(Request(CoapCode.Get, ".well-known/core", "rt=light*"), default)).PayloadText);
    }

    [Fact]
    public async Task UnknownPath_Is404()
    {
        var response = await SampleServer().HandleAsync(Request(CoapCode.Get, "nothing/here"), default);
        Assert.Equal(CoapCode.NotFound, response.Code);
    }

    [Fact]
    public async Task IntermediateNodeWithoutHandler_Is404()
    {
        var response = await SampleServer().HandleAsync(Request(CoapCode.Get, "sensors"), default);
        Assert.Equal(CoapCode.NotFound, response.Code);
    }

    [Fact]
    public async Task UnsupportedMethod_Is405()
    {
        var response = await SampleServer().HandleAsync(Request(CoapCode.Delete, "sensors/temp"), default);
        Assert.Equal(CoapCode.MethodNotAllowed, response.Code);
    }

    [Fact]
    public async Task ParameterSegment_BindsRouteValue()
    {
        var response = await SampleServer().HandleAsync(Request(CoapCode.Post, "api/v1/A1_TEST_TOKEN/telemetry"), default);
        Assert.Equal(CoapCode.Created, response.Code);
        Assert.Equal("A1_TEST_TOKEN", response.PayloadText);
    }

    [Fact]
    public async Task InvalidUtf8PathSegment_Is400()
    {
        var request = CoapRequest.Create(CoapCode.Get, Peer, [new CoapOption(CoapOptionNumber.UriPath, new byte[] { 0xC3, 0x28 })]);
        var response = await SampleServer().HandleAsync(request, default);
        Assert.Equal(CoapCode.BadRequest, response.Code);
    }

    [Fact]
    public async Task WellKnownCore_ListsResourcesInLinkFormat()
    {
        var response = await SampleServer().HandleAsync(Request(CoapCode.Get, ".well-known/core"), default);
        Assert.Equal(CoapCode.Content, response.Code);
        Assert.Equal(CoapContentFormat.LinkFormat, response.ContentFormat);
        // RFC 6690 §5 syntax; templates with {token} and bare path nodes are not links.
        Assert.Equal(
            "</sensors/light>;rt=\"light-lux\";if=\"sensor\";title=\"Ambient light\"," +
            "</sensors/temp>;rt=\"temperature-c\";if=\"sensor\";ct=0;obs",
            response.PayloadText);
    }

    [Fact]
    public async Task WellKnownCore_VisiblePathNode_IsListedAsAnEntryPoint_ButStill404()
    {
        var server = SampleServer();
        var api = server.Root.GetOrAddPath("api");
        api.Attributes.ResourceTypes.Add("api");
        api.Visible = true;

        var listing = await server.HandleAsync(Request(CoapCode.Get, ".well-known/core"), default);

        // RFC 6690 §4: the entry point of a subtree whose next segment is a credential; the template below is not a link.
        Assert.StartsWith("</api>;rt=\"api\",</sensors/light>", listing.PayloadText, StringComparison.Ordinal);
        Assert.Equal(CoapCode.NotFound, (await server.HandleAsync(Request(CoapCode.Get, "api"), default)).Code);
    }

    [Fact]
    public async Task WellKnownCore_Response_LimitsItsBlockSize()
    {
        var response = await SampleServer().HandleAsync(Request(CoapCode.Get, ".well-known/core"), default);

        // RFC 7252 §11.3: anyone may ask for discovery, so the listing goes out in small slices.
        Assert.Equal(32, response.MaxBlockSize);
    }

    [Theory]
    [InlineData("rt=temperature-c", "</sensors/temp>")]
    [InlineData("rt=*", "</sensors/light>,</sensors/temp>")]
    [InlineData("title=Ambient*", "</sensors/light>")]
    [InlineData("obs", "</sensors/temp>")]
    [InlineData("rt=light*", "</sensors/light>")]
    [InlineData("if=sensor", "</sensors/light>,</sensors/temp>")]
    [InlineData("href=/sensors/t*", "</sensors/temp>")]
    [InlineData("ct=0", "</sensors/temp>")]
    [InlineData("rt=nothing", "")]
    [InlineData("foo=bar", "")]
    public async Task WellKnownCore_QueryFilter(string query, string expectedLinks)
    {
        var response = await SampleServer().HandleAsync(Request(CoapCode.Get, ".well-known/core", query), default);
        var links = string.Join(',', response.PayloadText.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(l => l[..(l.IndexOf('>') + 1)]));
        Assert.Equal(expectedLinks, links);
    }

    [Fact]
    public async Task WellKnownCore_AcceptOtherThanLinkFormat_Is406()
    {
        var request = CoapRequest.Create(CoapCode.Get, Peer,
        [
            CoapOption.FromString(CoapOptionNumber.UriPath, ".well-known"), CoapOption.FromString(CoapOptionNumber.UriPath, "core"),
            CoapOption.FromUInt(CoapOptionNumber.Accept, CoapContentFormat.Json),
        ]);
        Assert.Equal(CoapCode.NotAcceptable, (await SampleServer().HandleAsync(request, default)).Code);
    }

    [Fact]
    public void Add_DuplicateName_Throws()
    {
        var server = SampleServer();
        Assert.Throws<InvalidOperationException>(() => server.Add("sensors", new DelegateResource("temp")));
    }

    [Fact]
    public void Request_QueryValue_IsParsed()
    {
        var request = Request(CoapCode.Get, "a", "clientKeys=a,b", "flag");
        Assert.Equal("a,b", request.GetQueryValue("clientKeys"));
        Assert.Equal("", request.GetQueryValue("flag"));
        Assert.Null(request.GetQueryValue("client"));
    }

    [Theory]
    [InlineData(CoapOptionNumber.ProxyUri, "coap://example.org/sensors/temp")]
    [InlineData(CoapOptionNumber.ProxyScheme, "http")]
    public async Task AForwardProxyRequest_Gets505_EvenWhenItsUriPathNamesALocalResource(ushort option, string value)
    {
        // RFC 7252 §5.10.2: not a forward-proxy, so 5.05 — never the local resource the Uri-Path happens to name.
        var server = SampleServer();
        var request = CoapRequest.Create(CoapCode.Get, Peer,
            [CoapOption.FromString(CoapOptionNumber.UriPath, "sensors"), CoapOption.FromString(CoapOptionNumber.UriPath, "temp"),
             CoapOption.FromString(option, value)]);
        var response = await server.HandleAsync(request, default);
        Assert.Equal(CoapCode.ProxyingNotSupported, response.Code);

        Assert.Equal(CoapCode.Content, (await server.HandleAsync(Request(CoapCode.Get, "sensors/temp"), default)).Code);
        Assert.Equal(CoapCode.NotFound, (await server.HandleAsync(Request(CoapCode.Get, "sensors/nothing/deeper"), default)).Code);
    }
}

public class CoapRequestTextTests
{
    [Fact]
    public async Task ToString_HidesBoundParameterSegments()
    {
        var server = new CoapServer();
        server.Add("api/v1/{token}", new DelegateResource("telemetry").On(CoapCode.Post, r => CoapResponse.Empty(CoapCode.Created)));
        var request = CoapRequest.Create(CoapCode.Post, PeerAddress.From(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 40000)),
        [
            CoapOption.FromString(CoapOptionNumber.UriPath, "api"), CoapOption.FromString(CoapOptionNumber.UriPath, "v1"),
            CoapOption.FromString(CoapOptionNumber.UriPath, "SECRET_TOKEN_1"), CoapOption.FromString(CoapOptionNumber.UriPath, "telemetry"),
            CoapOption.FromString(CoapOptionNumber.UriQuery, "cik=SECRET_2"),
        ]);
        await server.HandleAsync(request, default);
        Assert.Equal("0.02 /api/v1/{token}/telemetry from 127.0.0.1:40000", request.ToString());
    }
}
