using System.Text;
using Gateway.Coap.Codec;
using Gateway.Coap.Messages;
using Gateway.Coap.Server;

namespace Gateway.Coap.Tests.Endpoint;

/// <summary>RFC 7252 §5.2.2 separate responses and §4.2 retransmission, on a manual clock.</summary>
public class SeparateResponseTests
{
    private static (EndpointHarness Harness, TaskCompletionSource<CoapResponse> Pending, ScriptedHandler Handler) SlowServer(CoapEndpointOptions? options = null)
    {
        var pending = new TaskCompletionSource<CoapResponse>();
        var handler = new ScriptedHandler { Respond = _ => new(pending.Task) };
        return (new EndpointHarness(handler, options), pending, handler);
    }

    /// <summary>A CON GET whose handler outlives the deadline: empty ACK sent, then the 2.04 separate response (returned as sent).</summary>
    private static (EndpointHarness Harness, byte[] Response) SeparateResponseSent(CoapEndpointOptions? options = null)
    {
        var (h, pending, _) = SlowServer(options);
        h.Send(EndpointHarness.Get(1, "a"));
        h.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(h.Expect().IsEmpty);
        pending.SetResult(CoapResponse.Empty(CoapCode.Changed));
        return (h, h.ExpectBytes());
    }

    [Fact]
    public void SlowHandler_GetsEmptyAckAtTheDeadline_ThenAConfirmableResponse()
    {
        var (h, pending, handler) = SlowServer();
        using var _ = h;
        h.Send(EndpointHarness.Get(0x7d38, "temperature", [0x53]));
        h.ExpectNothing();
        h.Time.Advance(TimeSpan.FromMilliseconds(499));
        h.ExpectNothing();
        h.Time.Advance(TimeSpan.FromMilliseconds(1));

        var ack = h.Expect();
        Assert.Equal(CoapMessageType.Acknowledgement, ack.Type);
        Assert.True(ack.IsEmpty);
        Assert.Equal(0x7d38, ack.MessageId);

        // A retransmission of the request now gets the empty ACK again, and no second handler run.
        h.Send(EndpointHarness.Get(0x7d38, "temperature", [0x53]));
        Assert.True(h.Expect().IsEmpty);
        Assert.Equal(1, handler.Calls);

        pending.SetResult(CoapResponse.Text(CoapCode.Content, "22.3 C"));
        var response = h.Expect();
        Assert.Equal(CoapMessageType.Confirmable, response.Type);
        Assert.NotEqual(0x7d38, response.MessageId);
        Assert.Equal("53", Hex.Of(response.Token.Span));
        Assert.Equal("22.3 C", Encoding.UTF8.GetString(response.Payload.Span));
        Assert.Equal(1, h.Endpoint.PendingConfirmables);

        h.Send(CoapMessage.EmptyAck(response.MessageId));
        Assert.Equal(0, h.Endpoint.PendingConfirmables);
        h.Time.Advance(TimeSpan.FromMinutes(5));
        h.ExpectNothing();
    }

    [Fact]
    public void SeparateResponse_IsRetransmittedWithDoublingTimeouts_UntilAcked()
    {
        // ACK_RANDOM_FACTOR 1 pins the first timeout to ACK_TIMEOUT (2 s); then 4 s, 8 s (§4.2).
        var (h, original) = SeparateResponseSent(new CoapEndpointOptions { AckRandomFactor = 1.0 });
        using var __ = h;

        foreach (double wait in new[] { 2.0, 4.0, 8.0 })
        {
            h.Time.Advance(TimeSpan.FromSeconds(wait - 0.01));
            h.ExpectNothing();
            h.Time.Advance(TimeSpan.FromSeconds(0.01));
            Assert.Equal(original, h.ExpectBytes());
        }

        Assert.True(CoapCodec.TryDecode(original, out var message, out _));
        h.Send(CoapMessage.EmptyAck(message.MessageId));
        h.Time.Advance(TimeSpan.FromMinutes(5));
        h.ExpectNothing();
    }

    [Fact]
    public void SeparateResponse_StopsOnReset()
    {
        var (h, bytes) = SeparateResponseSent();
        using var __ = h;
        Assert.True(CoapCodec.TryDecode(bytes, out var response, out _));
        h.Send(CoapMessage.Reset(response.MessageId));
        Assert.Equal(0, h.Endpoint.PendingConfirmables);
        h.Time.Advance(TimeSpan.FromMinutes(5));
        h.ExpectNothing();
    }

    [Fact]
    public void FirstRetransmission_FallsWithinAckTimeoutTimesRandomFactor()
    {
        var (h, _) = SeparateResponseSent();
        using var __ = h;
        h.Time.Advance(TimeSpan.FromSeconds(1.999));   // before ACK_TIMEOUT: never
        h.ExpectNothing();
        h.Time.Advance(TimeSpan.FromSeconds(1.001));   // by ACK_TIMEOUT × ACK_RANDOM_FACTOR = 3 s: exactly once
        Assert.Equal(1, h.Transport.SentCount);
    }

    [Fact]
    public void SeparateResponse_NeverAcked_IsSentOnePlusMaxRetransmitTimes()
    {
        var (h, _) = SeparateResponseSent();
        using var __ = h;
        for (int i = 0; i < 10; i++) h.Time.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(4, h.Transport.SentCount);                     // MAX_RETRANSMIT = 4 (§4.8)
        Assert.Equal(0, h.Endpoint.PendingConfirmables);
    }

    [Fact]
    public void HandlerDoneBeforeTheDeadline_IsStillPiggybacked()
    {
        var (h, pending, _) = SlowServer();
        using var __ = h;
        h.Send(EndpointHarness.Get(0x55, "a"));
        h.Time.Advance(TimeSpan.FromMilliseconds(100));
        pending.SetResult(CoapResponse.Empty(CoapCode.Created));
        var reply = h.Expect();
        Assert.Equal(CoapMessageType.Acknowledgement, reply.Type);
        Assert.Equal(CoapCode.Created, reply.Code);
        Assert.Equal(0x55, reply.MessageId);
        h.Time.Advance(TimeSpan.FromSeconds(10));
        h.ExpectNothing();
        // ...and a late duplicate gets that same piggybacked response.
        h.Send(EndpointHarness.Get(0x55, "a"));
        Assert.Equal(CoapCode.Created, h.Expect().Code);
    }

    [Fact]
    public void SlowNonConfirmableRequest_GetsANonResponse_WithoutAnyAck()
    {
        var (h, pending, _) = SlowServer();
        using var __ = h;
        h.Send(EndpointHarness.Get(9, "a", type: CoapMessageType.NonConfirmable));
        h.Time.Advance(TimeSpan.FromSeconds(2));
        h.ExpectNothing();
        pending.SetResult(CoapResponse.Empty(CoapCode.Content));
        var reply = h.Expect();
        Assert.Equal(CoapMessageType.NonConfirmable, reply.Type);
        Assert.Equal(CoapCode.Content, reply.Code);
    }

    [Fact]
    public void SlowHandlersStartedApart_EachGetsItsEmptyAckAtItsOwnDeadline_AndTheFinishedOnesNone()
    {
        // Five requests 100 ms apart, the second and fourth answered in time: each of the others is acknowledged 500 ms
        // after it came, not before and not with another's deadline; the late answers then go as separate CONs.
        var pending = Enumerable.Range(0, 6).Select(_ => new TaskCompletionSource<CoapResponse>()).ToArray();
        using var h = new EndpointHarness(new ScriptedHandler { Respond = r => new(pending[r.MessageId].Task) });
        for (ushort id = 1; id <= 5; id++)
        {
            h.Send(EndpointHarness.Get(id, "a", [(byte)id]));
            h.Time.Advance(TimeSpan.FromMilliseconds(50));
            if (id is 2 or 4)
            {
                pending[id].SetResult(CoapResponse.Empty(CoapCode.Changed));
                var piggybacked = h.Expect();
                Assert.Equal((CoapMessageType.Acknowledgement, CoapCode.Changed, id), (piggybacked.Type, piggybacked.Code, piggybacked.MessageId));
            }
            h.Time.Advance(TimeSpan.FromMilliseconds(50));
        }
        // Now 500 ms after the first request.
        foreach (ushort id in new ushort[] { 1, 3, 5 })
        {
            var ack = h.Expect();
            Assert.True(ack.IsEmpty);
            Assert.Equal(id, ack.MessageId);
            h.ExpectNothing();
            h.Time.Advance(TimeSpan.FromMilliseconds(199)); // the next waiting one came 200 ms later
            h.ExpectNothing();
            h.Time.Advance(TimeSpan.FromMilliseconds(1));
        }
        h.Time.Advance(TimeSpan.FromSeconds(5));
        h.ExpectNothing();
        foreach (ushort id in new ushort[] { 1, 3, 5 })
        {
            pending[id].SetResult(CoapResponse.Empty(CoapCode.Changed));
            var separate = h.Expect();
            Assert.Equal((CoapMessageType.Confirmable, CoapCode.Changed, (byte)id), (separate.Type, separate.Code, separate.Token.Span[0]));
            h.Send(CoapMessage.EmptyAck(separate.MessageId)); // NSTART = 1 (RFC 7252 §4.7): the next one goes once this is acknowledged
        }
    }
}
