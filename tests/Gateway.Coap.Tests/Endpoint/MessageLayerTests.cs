using Gateway.Coap.Codec;
using System.Text;
using Gateway.Coap.Messages;
using Gateway.Coap.Server;

namespace Gateway.Coap.Tests.Endpoint;

/// <summary>Scripted exchanges for the RFC 7252 §4 message layer, on a manual clock.</summary>
public class MessageLayerTests
{
    /// <summary>The handler's responses by code (the /metrics figure), whether it answered at once or later; retransmissions answered from the deduplication cache are not the handler's.</summary>
    [Fact]
    public void Statistics_CountTheHandlersResponsesByCode_AnsweredAtOnceOrLater()
    {
        var release = new TaskCompletionSource();
        var handler = new ScriptedHandler
        {
            Respond = request => request.Method == CoapCode.Post
                ? Later(release.Task)
                : new(CoapResponse.Text(request.Path[0] == "missing" ? CoapCode.NotFound : CoapCode.Content, "x")),
        };
        using var h = new EndpointHarness(handler);

        h.Send(EndpointHarness.Get(1, "here"));
        h.Send(EndpointHarness.Get(1, "here")); // a retransmission
        h.Send(EndpointHarness.Get(2, "missing"));
        h.Send(new CoapMessage(CoapMessageType.Confirmable, CoapCode.Post, 3, new byte[] { 3 }, [CoapOption.FromString(CoapOptionNumber.UriPath, "later")]));
        Assert.Equal(0, h.Endpoint.Statistics.HandlerResponses(CoapCode.Changed));
        release.SetResult();
        for (int i = 0; i < 4; i++) h.Expect();

        var counted = new[] { CoapCode.Content, CoapCode.NotFound, CoapCode.Changed, CoapCode.Created }.Select(h.Endpoint.Statistics.HandlerResponses);
        Assert.Equal([1L, 1L, 1L, 0L], counted);

        static async ValueTask<CoapResponse> Later(Task release)
        {
            await release.ConfigureAwait(false);
            return CoapResponse.Empty(CoapCode.Changed);
        }
    }

    [Fact]
    public void EmptyConfirmable_IsAPing_AnsweredWithReset()
    {
        using var h = new EndpointHarness(new ScriptedHandler());
        h.Send(Hex.Bytes("40 00 4711"));
        var reply = h.Expect();
        Assert.Equal(CoapMessageType.Reset, reply.Type);           // §4.3
        Assert.Equal(0x4711, reply.MessageId);
        Assert.True(reply.IsEmpty);
    }

    [Fact]
    public void ConfirmableGet_GetsPiggybackedResponseWithSameMidAndToken()
    {
        var handler = new ScriptedHandler();
        using var h = new EndpointHarness(handler);
        h.Send(EndpointHarness.Get(0x7d34, "temperature", [0x20]));
        var reply = h.Expect();
        Assert.Equal(CoapMessageType.Acknowledgement, reply.Type); // §5.2.1
        Assert.Equal(0x7d34, reply.MessageId);
        Assert.Equal("20", Hex.Of(reply.Token.Span));
        Assert.Equal(CoapCode.Content, reply.Code);
        Assert.Equal("hello temperature", Encoding.UTF8.GetString(reply.Payload.Span));
        Assert.Equal(["temperature"], handler.LastRequest!.Path);
    }

    [Fact]
    public void DuplicateConfirmable_GetsTheSameAck_WithoutRunningTheHandlerTwice()
    {
        var handler = new ScriptedHandler();
        using var h = new EndpointHarness(handler);
        var request = EndpointHarness.Get(0x1001, "a");
        h.Send(request);
        var first = h.ExpectBytes();
        h.Send(request);
        var second = h.ExpectBytes();
        Assert.Equal(first, second);                               // §4.5: replay the cached response
        Assert.Equal(1, handler.Calls);
        Assert.Equal(1, h.Endpoint.Statistics.Duplicates);

        h.Send(EndpointHarness.Get(0x1002, "a"));                  // a new MID is a new request
        h.ExpectBytes();
        Assert.Equal(2, handler.Calls);
    }

    [Fact]
    public void SameMessageIdFromAnotherPeer_IsNotADuplicate()
    {
        var handler = new ScriptedHandler();
        using var h = new EndpointHarness(handler);
        h.Send(EndpointHarness.Get(7, "a"));
        h.Expect();
        var other = new System.Net.IPEndPoint(EndpointHarness.Device.Address, EndpointHarness.Device.Port + 1);
        h.Send(EndpointHarness.Get(7, "a"), other);
        h.Expect(other);
        Assert.Equal(2, handler.Calls);
    }

    [Fact]
    public void Deduplication_EndsAfterExchangeLifetime()
    {
        var handler = new ScriptedHandler();
        using var h = new EndpointHarness(handler);
        var request = EndpointHarness.Get(0x2000, "a");
        h.Send(request);
        h.Expect();
        h.Time.Advance(TimeSpan.FromSeconds(246));                 // EXCHANGE_LIFETIME is 247 s (§4.8.2)
        h.Send(request);
        h.Expect();
        Assert.Equal(1, handler.Calls);
        h.Time.Advance(TimeSpan.FromSeconds(2));
        h.Send(request);
        h.Expect();
        Assert.Equal(2, handler.Calls);
    }

    [Fact]
    public void DuplicateNonConfirmable_IsIgnored()
    {
        var handler = new ScriptedHandler();
        using var h = new EndpointHarness(handler);
        var request = EndpointHarness.Get(0x3000, "a", type: CoapMessageType.NonConfirmable);
        h.Send(request);
        var reply = h.Expect();
        Assert.Equal(CoapMessageType.NonConfirmable, reply.Type); // §5.2.3: NON request, NON response
        Assert.NotEqual(0x3000, reply.MessageId);
        h.Send(request);
        h.ExpectNothing();
        Assert.Equal(1, handler.Calls);
    }

    [Fact]
    public void UnknownCriticalOption_Gets402_AndTheHandlerDoesNotRun()
    {
        var handler = new ScriptedHandler();
        using var h = new EndpointHarness(handler);
        h.Send(EndpointHarness.Get(0x4000, "a", [0x77], extra: new CoapOption(9, new byte[] { 1 })));
        var reply = h.Expect();
        Assert.Equal(CoapMessageType.Acknowledgement, reply.Type);
        Assert.Equal(CoapCode.BadOption, reply.Code);               // §5.4.1
        Assert.Equal(0x4000, reply.MessageId);
        Assert.Equal("77", Hex.Of(reply.Token.Span));
        Assert.Equal(0, handler.Calls);
    }

    [Fact]
    public void UnknownElectiveOption_IsIgnored()
    {
        var handler = new ScriptedHandler();
        using var h = new EndpointHarness(handler);
        h.Send(EndpointHarness.Get(0x4001, "a", extra: new CoapOption(10, new byte[] { 1 })));
        Assert.Equal(CoapCode.Content, h.Expect().Code);
    }

    [Theory]
    [InlineData("40 01 7d")]        // truncated header (§3)
    [InlineData("80 01 7d34")]      // version 2 (§3)
    [InlineData("60 00 7d34")]      // an ACK nobody waits for
    [InlineData("70 00 7d34")]      // an RST nobody waits for
    [InlineData("59 01 7d34 00")]   // NON with TKL 9
    public void Unanswerable_IsSilentlyIgnored(string hex)
    {
        var handler = new ScriptedHandler();
        using var h = new EndpointHarness(handler);
        h.Send(Hex.Bytes(hex));
        h.ExpectNothing();
        Assert.Equal(0, handler.Calls);
    }

    [Fact]
    public void MalformedConfirmable_GetsReset()
    {
        using var h = new EndpointHarness(new ScriptedHandler());
        h.Send(Hex.Bytes("49 01 1234 000000000000000000"));  // TKL 9
        var reply = h.Expect();
        Assert.Equal(CoapMessageType.Reset, reply.Type);
        Assert.Equal(0x1234, reply.MessageId);
    }

    [Fact]
    public void ConfirmableRequestWithMalformedOptions_Gets400EchoingTheToken()
    {
        using var h = new EndpointHarness(new ScriptedHandler());
        // 8-byte token, Uri-Path "sensors", then an option header with the reserved nibble 15.
        var request = Hex.Bytes("48 02 1234 0102030405060708 b7 73656e736f7273 0f");
        h.Send(request);
        var bytes = h.ExpectBytes();
        Assert.True(CoapCodec.TryDecode(bytes, out var reply, out _));
        Assert.Equal(CoapMessageType.Acknowledgement, reply.Type);
        Assert.Equal(CoapCode.BadRequest, reply.Code);
        Assert.Equal("0102030405060708", Hex.Of(reply.Token.Span));
        Assert.Equal("nibble 15", Encoding.UTF8.GetString(reply.Payload.Span));
        Assert.True(bytes.Length <= 3 * request.Length);
    }

    [Fact]
    public void ErrorAnswers_AreAtMostThreeTimesTheRequest_ALongDiagnosticIsLeftOutWhole()
    {
        // RFC 7252 §11.3 / reliability.md G8: a handler's diagnostic that does not fit is not sent at all (never a
        // prefix), and neither is its Content-Format; the limit can be turned off.
        string text = "zugriff verweigert: ü" + new string('x', 100);
        var handler = new ScriptedHandler { Respond = _ => new(CoapResponse.WithFormat(CoapCode.Forbidden, Encoding.UTF8.GetBytes(text), CoapContentFormat.TextPlain)) };
        using var h = new EndpointHarness(handler);
        var get = CoapCodec.Encode(EndpointHarness.Get(9, "abcdefg"));
        h.Send(get);
        var bytes = h.ExpectBytes();
        Assert.True(bytes.Length <= 3 * get.Length, $"{bytes.Length} bytes answered {get.Length}");
        Assert.True(CoapCodec.TryDecode(bytes, out var reply, out _));
        Assert.Equal(CoapCode.Forbidden, reply.Code);
        Assert.True(reply.Payload.IsEmpty);
        Assert.Empty(reply.Options);

        using var off = new EndpointHarness(handler, new CoapEndpointOptions { MaxErrorAmplification = 0 });
        off.Send(get);
        Assert.True(CoapCodec.TryDecode(off.ExpectBytes(), out var whole, out _));
        Assert.Equal(text, Encoding.UTF8.GetString(whole.Payload.Span));
    }

    [Fact]
    public void SuccessPayloads_AreNeverCut()
    {
        var handler = new ScriptedHandler { Respond = _ => new(CoapResponse.Text(CoapCode.Content, new string('v', 300))) };
        using var h = new EndpointHarness(handler);
        h.Send(EndpointHarness.Get(3, "a"));
        Assert.Equal(300, h.Expect().Payload.Length);
    }

    [Fact]
    public void HandlerThatThrows_Gets500_AndTheEndpointKeepsServing()
    {
        var handler = new ScriptedHandler { Respond = _ => throw new InvalidOperationException("boom") };
        using var h = new EndpointHarness(handler);
        h.Send(EndpointHarness.Get(1, "a"));
        Assert.Equal(CoapCode.InternalServerError, h.Expect().Code);
        handler.Respond = _ => new(CoapResponse.Empty(CoapCode.Changed));
        h.Send(EndpointHarness.Get(2, "a"));
        Assert.Equal(CoapCode.Changed, h.Expect().Code);
        Assert.Equal(1, h.Endpoint.Statistics.HandlerErrors);
    }

    [Fact]
    public void AHandlerCancelledByTheStop_IsNotAFailure_WhileACancellationOfItsOwnIs()
    {
        // Cancelled before it went asynchronous, by the endpoint stopping (a durable write refused by an outbox that is
        // shutting down): no answer and no error, as when it is cancelled after going asynchronous.
        var handler = new ScriptedHandler { Respond = _ => throw new OperationCanceledException("its own") };
        using var h = new EndpointHarness(handler);
        h.Send(EndpointHarness.Get(1, "a"));
        Assert.Equal(CoapCode.InternalServerError, h.Expect().Code);
        Assert.Equal(1, h.Endpoint.Statistics.HandlerErrors);

        handler.Respond = _ => throw new OperationCanceledException("stopping");
        h.Endpoint.Dispose();
        h.Send(EndpointHarness.Get(2, "a"));
        Assert.Equal(2, handler.Calls);
        Assert.Equal(1, h.Endpoint.Statistics.HandlerErrors);
    }
}

public class NoResponseTests
{
    [Fact]
    public void NoResponse_SendsNothing_AndRetransmissionsGetNothingEither()
    {
        var handler = new ScriptedHandler { Respond = _ => new(CoapResponse.NoResponse) };
        using var h = new EndpointHarness(handler);
        var request = EndpointHarness.Get(0x5150, "a");
        h.Send(request);
        h.Send(request);
        h.ExpectNothing();
        Assert.Equal(1, handler.Calls);
        Assert.Equal(1, h.Endpoint.Statistics.Duplicates);
    }

    [Fact]
    public void SlowNoResponse_AfterTheEmptyAck_SendsNoSeparateResponse()
    {
        var pending = new TaskCompletionSource<CoapResponse>();
        using var h = new EndpointHarness(new ScriptedHandler { Respond = _ => new(pending.Task) });
        h.Send(EndpointHarness.Get(1, "a"));
        h.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(h.Expect().IsEmpty);
        pending.SetResult(CoapResponse.NoResponse);
        h.Time.Advance(TimeSpan.FromSeconds(60));
        Assert.False(h.Transport.TryTakeSent(out _, out _, TimeSpan.FromMilliseconds(200)));
        Assert.Equal(0, h.Endpoint.PendingConfirmables);
    }
}
