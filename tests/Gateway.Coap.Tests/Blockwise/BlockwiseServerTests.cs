using System.Net;
using Gateway.Coap.Messages;
using Gateway.Coap.Server;
using Gateway.Coap.Tests.Endpoint;
using Gateway.Coap.Tests.Observe;

namespace Gateway.Coap.Tests.Blockwise;

/// <summary>RFC 7959 server side, scripted (Californium's BlockwiseServerSideTest idea): exact NUM/M/SZX, ETag, Size1/Size2, codes.</summary>
public class BlockwiseServerTests
{
    private static readonly byte[] Body = [.. Enumerable.Range(0, 1500).Select(i => (byte)(i * 7))];

    private static (EndpointHarness H, ScriptedHandler Handler) Server(CoapEndpointOptions? options = null)
    {
        var handler = new ScriptedHandler();
        handler.Respond = request => request.Method == CoapCode.Get
            ? new(CoapResponse.WithFormat(CoapCode.Content, Body, CoapContentFormat.OctetStream))
            : new(new CoapResponse(CoapCode.Changed, System.Text.Encoding.UTF8.GetBytes($"got {request.Payload.Length}")));
        return (new EndpointHarness(handler, options), handler);
    }

    private static CoapMessage Get(ushort mid, params CoapOption[] extra) => EndpointHarness.Get(mid, "fw", [0x42], CoapMessageType.Confirmable, extra);

    private static CoapMessage Put(ushort mid, uint num, bool more, int szx, ReadOnlySpan<byte> payload, params CoapOption[] extra) =>
        new(CoapMessageType.Confirmable, CoapCode.Put, mid, new byte[] { 0x51 },
            [CoapOption.FromString(CoapOptionNumber.UriPath, "upload"), Opt.Block1(num, more, szx), .. extra], payload.ToArray());

    [Fact]
    public void LargeGet_WithoutBlock2_IsCutInPreferredBlocks_ComputedOnce()
    {
        var (h, handler) = Server();
        using var _ = h;
        h.Send(Get(0x100));
        var b0 = h.Expect();
        Assert.Equal((CoapCode.Content, new BlockOption(0, true, 5), 512, 1500u), (b0.Code, Opt.Block2Of(b0)!.Value, b0.Payload.Length, b0.GetUIntOption(CoapOptionNumber.Size2)!.Value));
        var etag = b0.GetOption(CoapOptionNumber.ETag)!.Value.Value.ToArray();
        Assert.Equal(4, etag.Length);

        var received = new List<byte>(b0.Payload.ToArray());
        for (uint num = 1; ; num++)
        {
            h.Send(Get((ushort)(0x100 + num), Opt.Block2(num, 5)));
            var block = h.Expect();
            Assert.Equal(etag, block.GetOption(CoapOptionNumber.ETag)!.Value.Value.ToArray()); // ETag on every block
            Assert.Equal(num, Opt.Block2Of(block)!.Value.Number);
            Assert.Null(block.GetUIntOption(CoapOptionNumber.Size2));
            received.AddRange(block.Payload.ToArray());
            if (!Opt.Block2Of(block)!.Value.More) break;
        }
        Assert.Equal(Body, received);
        Assert.Equal(1, handler.Calls);
        Assert.Equal((1L, 2L), (h.Endpoint.Statistics.Block2Transfers, h.Endpoint.Statistics.Block2CacheHits));
    }

    [Fact]
    public void ClientChosenSmallerSzx_IsUsed_AndAnyBlockCanBeAskedFor()
    {
        var (h, _) = Server();
        using var __ = h;
        h.Send(Get(0x200, Opt.Block2(0, 2)));
        var b0 = h.Expect();
        Assert.Equal((new BlockOption(0, true, 2), 64), (Opt.Block2Of(b0)!.Value, b0.Payload.Length));
        h.Send(Get(0x201, Opt.Block2(23, 2))); // random access: the last 64-byte block is NUM 23 (1472..1499)
        var last = h.Expect();
        Assert.Equal((new BlockOption(23, false, 2), 28), (Opt.Block2Of(last)!.Value, last.Payload.Length));
        Assert.Equal(Body[1472..], last.Payload.ToArray());
    }

    [Fact]
    public void ClientAskingForMoreThanPreferred_GetsThePreferredSize_AtTheSameOffset()
    {
        var (h, _) = Server();
        using var __ = h;
        h.Send(Get(0x300, Opt.Block2(0, 6)));
        var b0 = h.Expect();
        Assert.Equal(new BlockOption(0, true, 5), Opt.Block2Of(b0)); // §2.4: the server may answer smaller
        h.Send(Get(0x301, Opt.Block2(1, 6))); // offset 1024 in 1024-byte units = NUM 2 in 512-byte units
        var b = h.Expect();
        Assert.Equal(new BlockOption(2, false, 5), Opt.Block2Of(b));
        Assert.Equal(Body[1024..], b.Payload.ToArray());
    }

    [Fact]
    public void LateNegotiation_ClientSwitchesToSmallerBlocksAfterTheFirst()
    {
        var (h, handler) = Server();
        using var _ = h;
        h.Send(Get(0x400));
        Assert.Equal(new BlockOption(0, true, 5), Opt.Block2Of(h.Expect()));
        h.Send(Get(0x401, Opt.Block2(4, 4))); // 256-byte blocks from byte 1024 on
        var b = h.Expect();
        Assert.Equal((new BlockOption(4, true, 4), 256), (Opt.Block2Of(b)!.Value, b.Payload.Length));
        Assert.Equal(Body[1024..1280], b.Payload.ToArray());
        Assert.Equal(1, handler.Calls);
    }

    [Fact]
    public void ResponseWithItsOwnMaxBlockSize_IsCutSmaller_AndAClientMayStillAskForLess()
    {
        var handler = new ScriptedHandler
        {
            // RFC 7252 §11.3: a body anyone may ask for (discovery) goes out in small slices.
            Respond = _ => new(new CoapResponse(CoapCode.Content, Body[..100]) { MaxBlockSize = 32 }),
        };
        using var h = new EndpointHarness(handler);
        h.Send(Get(0x600));
        var b0 = h.Expect();
        Assert.Equal((new BlockOption(0, true, 1), 32, 100u), (Opt.Block2Of(b0)!.Value, b0.Payload.Length, b0.GetUIntOption(CoapOptionNumber.Size2)!.Value));
        h.Send(Get(0x601, Opt.Block2(1, 1))); // from the cache
        Assert.Equal(new BlockOption(1, true, 1), Opt.Block2Of(h.Expect()));
        h.Send(Get(0x602, Opt.Block2(4, 0))); // §2.5 late negotiation: byte 64 in 16-byte blocks
        var b = h.Expect();
        Assert.Equal(new BlockOption(4, true, 0), Opt.Block2Of(b));
        Assert.Equal(Body[64..80], b.Payload.ToArray());
        Assert.Equal(1, handler.Calls);
        h.Send(Get(0x603, Opt.Block2(0, 6))); // asking for 1024-byte blocks still gets the body's 32
        Assert.Equal(new BlockOption(0, true, 1), Opt.Block2Of(h.Expect()));
    }

    [Fact]
    public void BlockPastTheEnd_Is402()
    {
        var (h, _) = Server();
        using var __ = h;
        h.Send(Get(0x500));
        h.Expect();
        h.Send(Get(0x501, Opt.Block2(3, 5))); // offset 1536 > 1500
        Assert.Equal(CoapCode.BadOption, h.Expect().Code);
        h.Send(Get(0x502, Opt.Block2(40, 5))); // not cached for this key either way
        Assert.Equal(CoapCode.BadOption, h.Expect().Code);
    }

    [Fact]
    public void SameMessageIdForEveryBlock_EachRequestGetsTheBlockItAskedFor()
    {
        // peers.md §A.2: Exosite's example client reuses MID 0x37 for every block, with an empty token.
        var (h, _) = Server();
        using var __ = h;
        var received = new List<byte>();
        for (uint num = 0; num < 3; num++)
        {
            h.Send(new CoapMessage(CoapMessageType.Confirmable, CoapCode.Get, 0x37, default,
                [CoapOption.FromString(CoapOptionNumber.UriPath, "fw"), Opt.Block2(num, 5)]));
            var block = h.Expect();
            Assert.Equal((0x37, num), (block.MessageId, Opt.Block2Of(block)!.Value.Number));
            received.AddRange(block.Payload.ToArray());
        }
        Assert.Equal(Body, received);
        // A real retransmission (same MID, same block) is still a duplicate.
        h.Send(new CoapMessage(CoapMessageType.Confirmable, CoapCode.Get, 0x37, default,
            [CoapOption.FromString(CoapOptionNumber.UriPath, "fw"), Opt.Block2(2, 5)]));
        Assert.Equal(2u, Opt.Block2Of(h.Expect())!.Value.Number);
        Assert.Equal(1, h.Endpoint.Statistics.Duplicates);
    }

    [Fact]
    public void Size2Requested_OnASmallResource_IsAnswered()
    {
        var handler = new ScriptedHandler();
        using var h = new EndpointHarness(handler);
        h.Send(EndpointHarness.Get(0x600, "small", [1], CoapMessageType.Confirmable, CoapOption.FromUInt(CoapOptionNumber.Size2, 0)));
        var response = h.Expect();
        Assert.Equal((uint)"hello small".Length, response.GetUIntOption(CoapOptionNumber.Size2));
        Assert.Null(Opt.Block2Of(response));
    }

    [Fact]
    public void SmallGet_IsUntouched()
    {
        var handler = new ScriptedHandler();
        using var h = new EndpointHarness(handler);
        h.Send(EndpointHarness.Get(0x650, "small", [1]));
        var response = h.Expect();
        Assert.Equal(["Content-Format"], response.Options.Select(o => CoapOptionNumber.Name(o.Number)));
    }

    [Fact]
    public void Block2Cache_IsBounded_EvictionsCounted_AndAnEvictedBodyIsRecomputed()
    {
        var (h, handler) = Server(new CoapEndpointOptions { Block2CacheCapacity = 1 });
        using var _ = h;
        var other = new IPEndPoint(EndpointHarness.Device.Address, 40002);
        h.Send(Get(0x700));
        h.Expect();
        h.Send(Get(0x701), other);
        h.Expect(other);
        Assert.Equal((1, 1L), (h.Endpoint.Block2CacheEntries, h.Endpoint.Block2CacheEvictions));
        h.Send(Get(0x702, Opt.Block2(1, 5)));
        var b1 = h.Expect();
        Assert.Equal(Body[512..1024], b1.Payload.ToArray());
        Assert.Equal(3, handler.Calls); // stateless fallback for a safe method
    }

    [Fact]
    public void Block2ForAnUnsafeMethodWithoutCachedBody_Is408()
    {
        var (h, handler) = Server();
        using var _ = h;
        h.Send(new CoapMessage(CoapMessageType.Confirmable, CoapCode.Post, 0x750, new byte[] { 1 },
            [CoapOption.FromString(CoapOptionNumber.UriPath, "rpc"), Opt.Block2(1, 5)]));
        Assert.Equal(CoapCode.RequestEntityIncomplete, h.Expect().Code);
        Assert.Equal(0, handler.Calls);
    }

    [Fact]
    public void ReservedSzx_Is400()
    {
        var (h, _) = Server();
        using var __ = h;
        h.Send(Get(0x760, CoapOption.FromUInt(CoapOptionNumber.Block2, 7)));
        Assert.Equal(CoapCode.BadRequest, h.Expect().Code);
    }

    [Fact]
    public void Block1Put_IsAcknowledgedWith231_AndTheHandlerSeesTheWholeBodyOnce()
    {
        var (h, handler) = Server();
        using var _ = h;
        var body = Body.AsSpan(0, 1100);
        h.Send(Put(0x800, 0, true, 5, body[..512], CoapOption.FromUInt(CoapOptionNumber.Size1, 1100)));
        var c0 = h.Expect();
        Assert.Equal((CoapCode.Continue, (ushort)0x800, new BlockOption(0, true, 5)), (c0.Code, c0.MessageId, Opt.Block1Of(c0)!.Value));
        h.Send(Put(0x801, 1, true, 5, body[512..1024]));
        var c1 = h.Expect();
        Assert.Equal((CoapCode.Continue, new BlockOption(1, true, 5)), (c1.Code, Opt.Block1Of(c1)!.Value));
        Assert.Equal(0, handler.Calls);
        Assert.Equal(1, h.Endpoint.PartialBodies);

        h.Send(Put(0x802, 2, false, 5, body[1024..]));
        var done = h.Expect();
        Assert.Equal((CoapCode.Changed, new BlockOption(2, false, 5), "got 1100"), (done.Code, Opt.Block1Of(done)!.Value, Opt.Text(done)));
        Assert.Equal(1, handler.Calls);
        Assert.Equal(body.ToArray(), handler.LastRequest!.Payload.ToArray());
        Assert.DoesNotContain(handler.LastRequest.Options, o => o.Number is CoapOptionNumber.Block1 or CoapOptionNumber.Size1);
        Assert.Equal((0, 1L), (h.Endpoint.PartialBodies, h.Endpoint.Statistics.Block1Transfers));
    }

    [Fact]
    public void Block1_RetransmittedBlock_IsAnsweredAgainAndStoredOnce()
    {
        var (h, handler) = Server();
        using var _ = h;
        h.Send(Put(0x900, 0, true, 4, Body.AsSpan(0, 256)));
        h.Expect();
        h.Send(Put(0x900, 0, true, 4, Body.AsSpan(0, 256))); // same MID: dedup replays
        Assert.Equal(CoapCode.Continue, h.Expect().Code);
        h.Send(Put(0x901, 1, true, 4, Body.AsSpan(256, 256)));
        h.Expect();
        h.Send(Put(0x902, 1, true, 4, Body.AsSpan(256, 256))); // the same block under a new MID
        Assert.Equal((CoapCode.Continue, 1u), (h.Expect() is var again ? again.Code : default, Opt.Block1Of(again)!.Value.Number));
        h.Send(Put(0x903, 2, false, 4, Body.AsSpan(512, 10)));
        Assert.Equal("got 522", Opt.Text(h.Expect()));
        Assert.Equal(Body[..522], handler.LastRequest!.Payload.ToArray());
    }

    [Fact]
    public void Block1_GapOrUnknownTransfer_Is408()
    {
        var (h, handler) = Server();
        using var _ = h;
        h.Send(Put(0xA00, 3, true, 4, Body.AsSpan(0, 256)));
        Assert.Equal(CoapCode.RequestEntityIncomplete, h.Expect().Code);
        h.Send(Put(0xA01, 0, true, 4, Body.AsSpan(0, 256)));
        h.Expect();
        h.Send(Put(0xA02, 2, true, 4, Body.AsSpan(512, 256))); // block 1 missing
        Assert.Equal(CoapCode.RequestEntityIncomplete, h.Expect().Code);
        h.Send(Put(0xA03, 1, true, 4, Body.AsSpan(256, 256))); // the transfer is gone after a gap
        Assert.Equal(CoapCode.RequestEntityIncomplete, h.Expect().Code);
        Assert.Equal(0, handler.Calls);
        Assert.Equal(3L, h.Endpoint.Statistics.Block1Incomplete);
    }

    [Fact]
    public void Block1_BodyOverTheLimit_Is413WithSize1_AnnouncedOrAccumulated()
    {
        var (h, _) = Server(new CoapEndpointOptions { MaxBodySize = 600 });
        using var __ = h;
        h.Send(Put(0xB00, 0, true, 4, Body.AsSpan(0, 256), CoapOption.FromUInt(CoapOptionNumber.Size1, 5000)));
        var announced = h.Expect();
        Assert.Equal((CoapCode.RequestEntityTooLarge, 600u), (announced.Code, announced.GetUIntOption(CoapOptionNumber.Size1)!.Value));

        h.Send(Put(0xB01, 0, true, 4, Body.AsSpan(0, 256)));
        h.Send(Put(0xB02, 1, true, 4, Body.AsSpan(256, 256)));
        h.Expect();
        h.Expect();
        h.Send(Put(0xB03, 2, true, 4, Body.AsSpan(512, 256)));
        var accumulated = h.Expect();
        Assert.Equal((CoapCode.RequestEntityTooLarge, 600u), (accumulated.Code, accumulated.GetUIntOption(CoapOptionNumber.Size1)!.Value));
        Assert.Equal(0, h.Endpoint.PartialBodies);
    }

    [Fact]
    public void Block1_ServerPrefersSmallerBlocks_ClientContinuesAtTheSameOffset()
    {
        var (h, handler) = Server(new CoapEndpointOptions { PreferredBlockSize = 256 });
        using var _ = h;
        h.Send(Put(0xC00, 0, true, 6, Body.AsSpan(0, 1024)));
        Assert.Equal(new BlockOption(0, true, 4), Opt.Block1Of(h.Expect())); // §2.3: our preference, in the 2.31
        h.Send(Put(0xC01, 4, false, 4, Body.AsSpan(1024, 100))); // byte 1024 in 256-byte blocks
        Assert.Equal(CoapCode.Changed, h.Expect().Code);
        Assert.Equal(Body[..1124], handler.LastRequest!.Payload.ToArray());
    }

    [Fact]
    public void Block1_PerPeerCap_EvictsTheOldestPartialBody()
    {
        var (h, _) = Server(new CoapEndpointOptions { MaxBlock1TransfersPerPeer = 2 });
        using var __ = h;
        for (int i = 0; i < 3; i++)
        {
            // Distinct transfers to the same resource, told apart by Request-Tag (RFC 9175 §3.3).
            h.Send(Put((ushort)(0xD00 + i), 0, true, 4, Body.AsSpan(0, 256), new CoapOption(CoapOptionNumber.RequestTag, new[] { (byte)i })));
            Assert.Equal(CoapCode.Continue, h.Expect().Code);
        }
        Assert.Equal((2, 1L), (h.Endpoint.PartialBodies, h.Endpoint.Block1Evictions));
        h.Send(Put(0xD10, 1, true, 4, Body.AsSpan(256, 256), new CoapOption(CoapOptionNumber.RequestTag, new byte[] { 0 })));
        Assert.Equal(CoapCode.RequestEntityIncomplete, h.Expect().Code);
        h.Send(Put(0xD11, 1, true, 4, Body.AsSpan(256, 256), new CoapOption(CoapOptionNumber.RequestTag, new byte[] { 2 })));
        Assert.Equal(CoapCode.Continue, h.Expect().Code);
    }

    [Fact]
    public void Block1_IdleTransfer_IsDroppedAfterTheTimeout()
    {
        var (h, _) = Server(new CoapEndpointOptions { BlockTransferIdleTimeout = TimeSpan.FromSeconds(60) });
        using var __ = h;
        h.Send(Put(0xE00, 0, true, 4, Body.AsSpan(0, 256)));
        h.Expect();
        h.Time.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(1, h.Endpoint.PartialBodies);
        h.Time.Advance(TimeSpan.FromSeconds(61));
        Assert.Equal(0, h.Endpoint.PartialBodies);
        h.Send(Put(0xE01, 1, true, 4, Body.AsSpan(256, 256)));
        Assert.Equal(CoapCode.RequestEntityIncomplete, h.Expect().Code);
        Assert.Equal(0, h.Time.ActiveTimers); // the sweep timer stops once nothing is left
    }

    [Fact]
    public void LargeNotification_CarriesTheFirstBlock_AndTheRestIsFetchedWithGetBlock2()
    {
        var tree = new CoapServer();
        var sensor = tree.Add("", new SensorResource());
        using var h = new EndpointHarness(tree, new CoapEndpointOptions { AckRandomFactor = 1 });
        h.Send(EndpointHarness.Get(0xF00, "temp", [0x0B], CoapMessageType.Confirmable, Opt.Observe(0)));
        h.Expect();
        sensor.Value = new string('x', 700);
        sensor.NotifyObservers();
        var n = h.Expect();
        // RFC 7959 §2.6: the notification has block 0 (with ETag and Size2), Observe as usual.
        Assert.Equal((1u, new BlockOption(0, true, 5), 512, 700u), (Opt.ObserveOf(n)!.Value, Opt.Block2Of(n)!.Value, n.Payload.Length, n.GetUIntOption(CoapOptionNumber.Size2)!.Value));
        h.Send(CoapMessage.EmptyAck(n.MessageId));
        h.Send(EndpointHarness.Get(0xF01, "temp", [0x0C], CoapMessageType.Confirmable, Opt.Block2(1, 5)));
        var rest = h.Expect();
        Assert.Equal((new BlockOption(1, false, 5), 188, (uint?)null), (Opt.Block2Of(rest)!.Value, rest.Payload.Length, Opt.ObserveOf(rest)));
        Assert.Equal(n.GetOption(CoapOptionNumber.ETag)!.Value.Value.ToArray(), rest.GetOption(CoapOptionNumber.ETag)!.Value.Value.ToArray());
        Assert.Equal(1L, h.Endpoint.Statistics.Block2CacheHits);
    }
}
