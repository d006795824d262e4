using System.Text;
using Gateway.Coap.Messages;
using Gateway.Devices.Tests.Exosite;
using Gateway.Devices.Tests.Support;

namespace Gateway.Devices.Tests.Coap;

/// <summary>
/// <c>/.well-known/core</c> of both device APIs (RFC 6690 §4, issue 17): the entry points a device may learn
/// without a secret, never a token, CIK or device name; listed in 32-byte Block2 blocks (RFC 7252 §11.3).
/// </summary>
public sealed class DiscoveryTests : IDisposable
{
    private const string ThingsBoardListing =
        "</api/v1/provision>;rt=\"tb.provision\";ct=50," +
        "</fw>;rt=\"tb.fw\";ct=42," +
        "</sw>;rt=\"tb.sw\";ct=42";

    private const string ExositeListing =
        "</1a>;rt=\"exosite.1a\";ct=60," +
        "</provision/activate>;rt=\"exosite.activate\"," +
        "</rpc>;rt=\"exosite.rpc\";ct=\"50 60\"," +
        "</ts>;rt=\"exosite.ts\";ct=42";

    private readonly Support.Gateway _thingsBoard = new();
    private readonly ExositeGateway _exosite = new();

    public void Dispose()
    {
        _thingsBoard.Dispose();
        _exosite.Dispose();
    }

    /// <summary>Follows Block2 from block 0 to the end (RFC 7959 §2.4), returning the blocks as received.</summary>
    private static async Task<List<CoapMessage>> DiscoverAsync(CoapDevice device, string query = "")
    {
        var blocks = new List<CoapMessage>();
        uint number = 0;
        while (true)
        {
            var extra = number == 0 ? [] : new[] { new BlockOption(number, false, 1).ToOption(CoapOptionNumber.Block2) };
            var answer = await device.SendAsync(CoapDevice.Request(CoapCode.Get, ".well-known/core" + query, device.NextMessageId(), extra: extra));
            blocks.Add(answer);
            if (answer.GetUIntOption(CoapOptionNumber.Block2) is not { } raw || !BlockOption.Decode(raw).More) return blocks;
            number = BlockOption.Decode(raw).Number + 1;
        }
    }

    private static string Text(IEnumerable<CoapMessage> blocks) => string.Concat(blocks.Select(Answer.Text));

    [Fact]
    public async Task WellKnownCore_ThingsBoard_ListsProvisionAndOtaEntryPoints_NeverATokenOrDevice()
    {
        string token = await _thingsBoard.AddDeviceAsync("Boiler room");
        using var device = new CoapDevice(_thingsBoard.Server);

        var blocks = await DiscoverAsync(device);

        Assert.Equal(ThingsBoardListing, Text(blocks));
        Assert.All(blocks, b => Assert.Equal("2.05", Answer.Code(b)));
        Assert.Equal((uint)CoapContentFormat.LinkFormat, blocks[0].GetUIntOption(CoapOptionNumber.ContentFormat));
        Assert.DoesNotContain(token, Text(blocks), StringComparison.Ordinal);
        Assert.DoesNotContain("Boiler", Text(blocks), StringComparison.Ordinal);
    }

    [Fact]
    public async Task WellKnownCore_Exosite_ListsEntryPointsWithoutCik()
    {
        string cik = await _exosite.ActivatedDeviceAsync();
        using var device = new CoapDevice(_exosite.Server);

        var blocks = await DiscoverAsync(device);

        Assert.Equal(ExositeListing, Text(blocks));
        Assert.DoesNotContain(cik, Text(blocks), StringComparison.Ordinal);
    }

    [Fact]
    public async Task WellKnownCore_IsSentIn32ByteBlocks_WithSize2AndOneETag()
    {
        using var device = new CoapDevice(_thingsBoard.Server);

        var blocks = await DiscoverAsync(device);

        Assert.Equal((Encoding.UTF8.GetByteCount(ThingsBoardListing) + 31) / 32, blocks.Count);
        Assert.All(blocks[..^1], b => Assert.Equal(32, b.Payload.Length));
        Assert.Equal((uint)Encoding.UTF8.GetByteCount(ThingsBoardListing), blocks[0].GetUIntOption(CoapOptionNumber.Size2));
        Assert.Single(blocks.Select(b => Convert.ToHexString(b.GetOption(CoapOptionNumber.ETag)!.Value.Value.Span)).Distinct());
    }

    [Fact]
    public async Task WellKnownCore_FirstBlock_IsAtMostThreeTimesTheShortestRequest()
    {
        using var device = new CoapDevice(_exosite.Server);
        // The shortest discovery request: no token, no other option (RFC 7252 §11.3, reliability.md G8).
        var request = CoapDevice.Request(CoapCode.Get, ".well-known/core", device.NextMessageId(), token: []);

        var answer = await device.SendAsync(request);

        Assert.True(Gateway.Coap.Codec.CoapCodec.Encode(answer).Length <= 3 * Gateway.Coap.Codec.CoapCodec.Encode(request).Length);
        Assert.True(answer.GetUIntOption(CoapOptionNumber.Block2) is { } raw && BlockOption.Decode(raw).More);
    }

    [Theory]
    [InlineData("?rt=tb.fw", "</fw>")]
    [InlineData("?rt=tb.*", "</api/v1/provision>,</fw>,</sw>")]
    [InlineData("?href=/api/*", "</api/v1/provision>")]
    [InlineData("?ct=42", "</fw>,</sw>")]
    [InlineData("?rt=exosite.*", "")]
    public async Task WellKnownCore_ThingsBoard_QueryFilter(string query, string expectedLinks)
    {
        using var device = new CoapDevice(_thingsBoard.Server);

        var listing = Text(await DiscoverAsync(device, query));

        Assert.Equal(expectedLinks, string.Join(',', listing.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(l => l[..(l.IndexOf('>') + 1)])));
    }

    [Fact]
    public async Task ListedPrefix_WithoutHandler_Answers404()
    {
        using var device = new CoapDevice(_thingsBoard.Server);

        Assert.Equal("4.04", Answer.Code(await device.GetAsync("fw")));
    }
}
