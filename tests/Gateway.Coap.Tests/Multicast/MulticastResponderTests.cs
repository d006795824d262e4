using System.Net;
using Gateway.Coap.Codec;
using Gateway.Coap.Messages;
using Gateway.Coap.Multicast;
using Gateway.Coap.Server;
using Gateway.TestKit;

namespace Gateway.Coap.Tests.Multicast;

public class MulticastResponderTests
{
    private static readonly IPEndPoint Asker = new(IPAddress.Parse("fe80::2%3"), 40000);
    private readonly ManualTimeProvider _time = new();
    private readonly List<(byte[] Datagram, IPEndPoint To)> _sent = [];
    private int _writes;

    private CoapServer Server()
    {
        var server = new CoapServer();
        foreach (var name in new[] { "alpha", "bravo", "charlie", "delta" })
        {
            var resource = server.Add("things", new DelegateResource(name)
                .On(CoapCode.Get, _ => CoapResponse.Text(CoapCode.Content, name))
                .On(CoapCode.Post, _ => { _writes++; return CoapResponse.Empty(CoapCode.Created); }));
            resource.Attributes.ResourceTypes.Add("thing." + name);
        }
        return server;
    }

    private MulticastResponder Responder(double perSecond = 10, int maxPending = 64, int factor = 3) =>
        new(Server(), new MulticastResponderOptions { Leisure = TimeSpan.FromSeconds(5), MaxResponsesPerSecond = perSecond, MaxPending = maxPending, AmplificationFactor = factor },
            _time, new Random(8021));

    private static byte[] Request(CoapMessageType type, CoapCode code, string path, string? query = null, byte[]? token = null)
    {
        var options = path.Split('/', StringSplitOptions.RemoveEmptyEntries).Select(s => CoapOption.FromString(CoapOptionNumber.UriPath, s)).ToList();
        if (query is not null) options.Add(CoapOption.FromString(CoapOptionNumber.UriQuery, query));
        return CoapCodec.Encode(new CoapMessage(type, code, 7, token ?? [0xA1, 0xB2], options));
    }

    private Task Receive(MulticastResponder responder, byte[] datagram) =>
        responder.ReceiveAsync(datagram, Asker, (d, to) => _sent.Add((d, to)), default);

    private static CoapMessage Decode(byte[] datagram) => CoapCodec.TryDecode(datagram, out var m, out _) ? m : throw new InvalidDataException();

    [Fact]
    public async Task Discovery_IsAnsweredAfterARandomLeisure_AsANonWithItsFirstBlock()
    {
        var responder = Responder();
        await Receive(responder, Request(CoapMessageType.NonConfirmable, CoapCode.Get, ".well-known/core"));
        Assert.Empty(_sent);
        Assert.Equal(1, responder.Pending);

        _time.Advance(TimeSpan.FromSeconds(5)); // §8.2.1: the delay is below Leisure
        var (datagram, to) = Assert.Single(_sent);
        Assert.Equal(Asker, to);
        var answer = Decode(datagram);
        Assert.Equal((CoapMessageType.NonConfirmable, CoapCode.Content), (answer.Type, answer.Code));
        Assert.Equal(new byte[] { 0xA1, 0xB2 }, answer.Token.ToArray());
        // The listing is longer than a block: the first 32 bytes, with the ETag and Size2 the unicast blocks carry.
        Assert.Equal(new BlockOption(0, true, 1), BlockOption.Decode(answer.GetUIntOption(CoapOptionNumber.Block2)!.Value));
        Assert.True(answer.HasOption(CoapOptionNumber.ETag));
        Assert.Equal("</things/alpha>;rt=\"thing.alpha\"", System.Text.Encoding.UTF8.GetString(answer.Payload.Span));
        Assert.Equal((1, 1, 0), (responder.Statistics.Received, responder.Statistics.Answered, responder.Pending));
    }

    [Fact]
    public async Task TheLeisureIsRandom_NotTheSameForEveryRequest()
    {
        var responder = Responder();
        for (int i = 0; i < 5; i++) await Receive(responder, Request(CoapMessageType.NonConfirmable, CoapCode.Get, ".well-known/core", "rt=thing.bravo"));
        var seen = new List<int>();
        for (int ms = 0; ms <= 5000 && _sent.Count < 5; ms += 50)
        {
            _time.Advance(TimeSpan.FromMilliseconds(50));
            seen.Add(_sent.Count);
        }
        Assert.Equal(5, _sent.Count);
        Assert.True(seen.Distinct().Count() > 2, $"all answers went out at once: {string.Join(',', seen)}");
    }

    [Fact]
    public async Task AFilterThatMatchesNothing_GetsNoAnswer()
    {
        var responder = Responder();
        await Receive(responder, Request(CoapMessageType.NonConfirmable, CoapCode.Get, ".well-known/core", "rt=nothing.here"));
        await Receive(responder, Request(CoapMessageType.NonConfirmable, CoapCode.Get, ".well-known/core", "rt=thing.bravo"));
        _time.Advance(TimeSpan.FromSeconds(6));
        var answer = Decode(Assert.Single(_sent).Datagram);
        Assert.Equal("</things/bravo>;rt=\"thing.bravo\"", System.Text.Encoding.UTF8.GetString(answer.Payload.Span));
        Assert.Equal(1, responder.Statistics.NothingToSay);
    }

    [Fact]
    public async Task WritesConfirmablesAndOtherResources_AreIgnoredSilently_AndCounted()
    {
        var responder = Responder();
        await Receive(responder, Request(CoapMessageType.NonConfirmable, CoapCode.Post, "things/alpha"));
        await Receive(responder, Request(CoapMessageType.Confirmable, CoapCode.Post, "things/alpha"));
        await Receive(responder, Request(CoapMessageType.Confirmable, CoapCode.Get, ".well-known/core"));
        await Receive(responder, Request(CoapMessageType.NonConfirmable, CoapCode.Get, "things/alpha"));
        await Receive(responder, [0x40, 0x01]); // truncated header
        _time.Advance(TimeSpan.FromSeconds(10));
        Assert.Empty(_sent);
        Assert.Equal(0, _writes); // nothing written: the resource never ran
        var s = responder.Statistics;
        Assert.Equal((5L, 1L, 2L, 1L, 1L), (s.Received, s.Writes, s.Confirmable, s.NotDiscovery, s.NotRequest));
    }

    [Fact]
    public async Task AnswersAreRateLimited_WithCountedDrops_AndTheBucketRefills()
    {
        var responder = Responder(perSecond: 2);
        for (int i = 0; i < 5; i++) await Receive(responder, Request(CoapMessageType.NonConfirmable, CoapCode.Get, ".well-known/core"));
        Assert.Equal((2, 3L), (responder.Pending, responder.Statistics.RateLimited));
        _time.Advance(TimeSpan.FromSeconds(1));
        await Receive(responder, Request(CoapMessageType.NonConfirmable, CoapCode.Get, ".well-known/core"));
        Assert.Equal(3L, responder.Statistics.RateLimited);
        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(3, _sent.Count);
    }

    [Fact]
    public async Task AnswersWaitingAreBounded()
    {
        var responder = Responder(perSecond: 100, maxPending: 3);
        for (int i = 0; i < 5; i++) await Receive(responder, Request(CoapMessageType.NonConfirmable, CoapCode.Get, ".well-known/core"));
        Assert.Equal((3, 2L), (responder.Pending, responder.Statistics.PendingFull));
    }

    [Fact]
    public async Task AnAnswer_NeverExceedsTheAmplificationLimit()
    {
        // The smallest discovery request (no token): 21 bytes, so an answer of at most 63.
        var request = Request(CoapMessageType.NonConfirmable, CoapCode.Get, ".well-known/core", token: []);
        var responder = Responder();
        await Receive(responder, request);
        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.InRange(Assert.Single(_sent).Datagram.Length, 1, request.Length * 3);

        // At 1x not even a 16-byte block fits: nothing is sent, and that is counted.
        var strict = Responder(factor: 1);
        await Receive(strict, request);
        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.Single(_sent);
        Assert.Equal(1, strict.Statistics.TooLarge);
    }

    [Fact]
    public async Task Stop_DropsTheAnswersStillWaiting()
    {
        var responder = Responder();
        await Receive(responder, Request(CoapMessageType.NonConfirmable, CoapCode.Get, ".well-known/core"));
        responder.Stop();
        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.Empty(_sent);
        Assert.Equal(0, _time.ActiveTimers);
    }
}
