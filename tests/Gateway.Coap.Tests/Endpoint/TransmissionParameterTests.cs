using Gateway.Coap.Messages;
using Gateway.Coap.Server;
using Gateway.Coap.Tests.Observe;

namespace Gateway.Coap.Tests.Endpoint;

/// <summary>RFC 7252 §4.7–§4.8: the transmission parameters, the times derived from them, NSTART and PROBING_RATE.</summary>
public class TransmissionParameterTests
{
    [Fact]
    public void DerivedTimes_ForTheDefaults_AreTheRfcTable()
    {
        var options = new CoapEndpointOptions();

        // §4.8.2: MAX_TRANSMIT_SPAN 45 s, MAX_TRANSMIT_WAIT 93 s, EXCHANGE_LIFETIME 247 s, NON_LIFETIME 145 s.
        Assert.Equal(TimeSpan.FromSeconds(45), options.MaxTransmitSpan);
        Assert.Equal(TimeSpan.FromSeconds(93), options.MaxTransmitWait);
        Assert.Equal(TimeSpan.FromSeconds(247), options.ExchangeLifetime);
        Assert.Equal(TimeSpan.FromSeconds(145), options.NonLifetime);
        Assert.Equal((1, 1.0, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(2)), (options.Nstart, options.ProbingRate, options.DefaultLeisure, options.ProcessingDelay));
    }

    [Fact]
    public void DerivedTimes_ForASlowMesh_FollowTheFormulas()
    {
        // A multi-hop 6LoWPAN mesh: ACK_TIMEOUT 10 s, MAX_RETRANSMIT 5; PROCESSING_DELAY follows ACK_TIMEOUT (§4.8.2).
        var options = new CoapEndpointOptions { AckTimeout = TimeSpan.FromSeconds(10), AckRandomFactor = 1.5, MaxRetransmit = 5 };

        Assert.Equal(TimeSpan.FromSeconds(10 * 31 * 1.5), options.MaxTransmitSpan);   // 465 s
        Assert.Equal(TimeSpan.FromSeconds(10 * 63 * 1.5), options.MaxTransmitWait);   // 945 s
        Assert.Equal(TimeSpan.FromSeconds(465 + 200 + 10), options.ExchangeLifetime); // 675 s
        Assert.Equal(TimeSpan.FromSeconds(465 + 100), options.NonLifetime);           // 565 s
    }

    [Fact]
    public void Deduplication_LastsTheDerivedExchangeLifetime_OfASlowMesh()
    {
        var handler = new ScriptedHandler();
        using var h = new EndpointHarness(handler, new CoapEndpointOptions { AckTimeout = TimeSpan.FromSeconds(10), MaxRetransmit = 5 });
        var request = EndpointHarness.Get(0x2100, "a");
        h.Send(request);
        h.Expect();
        h.Time.Advance(TimeSpan.FromSeconds(674));
        h.Send(request);
        h.Expect();
        Assert.Equal(1, handler.Calls); // still a duplicate just before EXCHANGE_LIFETIME (675 s)
        h.Time.Advance(TimeSpan.FromSeconds(2));
        h.Send(request);
        h.Expect();
        Assert.Equal(2, handler.Calls);
    }

    [Theory]
    [InlineData(0, 1.0, "Nstart: 0 must be 1..64 (RFC 7252 §4.7)")]
    [InlineData(1, 0.0, "ProbingRate: 0 must be more than 0 bytes/s (RFC 7252 §4.7)")]
    public void Validate_NamesTheParameter(int nstart, double probingRate, string expected)
    {
        var options = new CoapEndpointOptions { Nstart = nstart, ProbingRate = probingRate };

        Assert.Equal(expected, Assert.Single(options.Validate()));
    }

    [Fact]
    public void Nstart1_ASecondConfirmableToTheSamePeer_WaitsForTheFirstsAck()
    {
        var first = new TaskCompletionSource<CoapResponse>();
        var second = new TaskCompletionSource<CoapResponse>();
        var handler = new ScriptedHandler { Respond = r => new(r.Path[0] == "a" ? first.Task : second.Task) };
        using var h = new EndpointHarness(handler, new CoapEndpointOptions { AckRandomFactor = 1.0 });
        h.Send(EndpointHarness.Get(1, "a", [1]));
        h.Send(EndpointHarness.Get(2, "b", [2]));
        h.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(h.Expect().IsEmpty);
        Assert.True(h.Expect().IsEmpty);

        // One at a time: a handler's completion may continue on another thread, so two completed at
        // once could reach the endpoint in either order.
        first.SetResult(CoapResponse.Text(CoapCode.Content, "A"));
        var a = h.Expect();
        Assert.Equal((CoapMessageType.Confirmable, "A"), (a.Type, Opt.Text(a)));
        second.SetResult(CoapResponse.Text(CoapCode.Content, "B"));
        Assert.True(SpinWait.SpinUntil(() => h.Endpoint.PendingConfirmables == 2, TimeSpan.FromSeconds(5)));
        h.ExpectNothing(); // §4.7: NSTART 1, so B waits for A's ACK

        h.Send(CoapMessage.EmptyAck(a.MessageId));
        var b = h.Expect();
        Assert.Equal((CoapMessageType.Confirmable, "B"), (b.Type, Opt.Text(b)));
        // B's own retransmission clock started when it went out.
        h.Time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(b.MessageId, h.Expect().MessageId);
    }

    [Fact]
    public void Nstart1_AGivenUpConfirmable_LetsTheNextOneGo()
    {
        var first = new TaskCompletionSource<CoapResponse>();
        var second = new TaskCompletionSource<CoapResponse>();
        var handler = new ScriptedHandler { Respond = r => new(r.Path[0] == "a" ? first.Task : second.Task) };
        using var h = new EndpointHarness(handler, new CoapEndpointOptions { AckRandomFactor = 1.0, MaxRetransmit = 1 });
        h.Send(EndpointHarness.Get(1, "a", [1]));
        h.Send(EndpointHarness.Get(2, "b", [2]));
        h.Time.Advance(TimeSpan.FromSeconds(1));
        h.Expect();
        h.Expect();
        first.SetResult(CoapResponse.Text(CoapCode.Content, "A"));
        Assert.Equal("A", Opt.Text(h.Expect()));
        second.SetResult(CoapResponse.Text(CoapCode.Content, "B")); // after A went out: see the test above
        Assert.True(SpinWait.SpinUntil(() => h.Endpoint.PendingConfirmables == 2, TimeSpan.FromSeconds(5)));

        h.Time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal("A", Opt.Text(h.Expect())); // the one retransmission
        h.Time.Advance(TimeSpan.FromSeconds(4));   // given up (§4.2)
        Assert.Equal("B", Opt.Text(h.Expect()));
    }

    [Fact]
    public void Nstart2_TwoGoAtOnce()
    {
        var handler = new ScriptedHandler();
        var pending = new TaskCompletionSource<CoapResponse>();
        handler.Respond = _ => new(pending.Task);
        using var h = new EndpointHarness(handler, new CoapEndpointOptions { Nstart = 2 });
        h.Send(EndpointHarness.Get(1, "a", [1]));
        h.Send(EndpointHarness.Get(2, "b", [2]));
        h.Time.Advance(TimeSpan.FromSeconds(1));
        h.Expect();
        h.Expect();

        pending.SetResult(CoapResponse.Text(CoapCode.Content, "x"));

        Assert.Equal(CoapMessageType.Confirmable, h.Expect().Type);
        Assert.Equal(CoapMessageType.Confirmable, h.Expect().Type);
    }

    [Fact]
    public void ProbingRate_NonNotificationsBeyondIt_GoConfirmable_UntilTheObserverAnswers()
    {
        var tree = new CoapServer();
        var sensor = tree.Add("", new SensorResource());
        // 10 bytes/s, and MaxMessageSize 144 as the one-datagram burst: a 1-byte value notification is ~10 bytes.
        using var h = new EndpointHarness(tree, new CoapEndpointOptions { ProbingRate = 10, MaxMessageSize = 144, PreferredBlockSize = 16, AckRandomFactor = 1.0 });
        h.Send(EndpointHarness.Get(0x3001, "temp", [0x0B], CoapMessageType.NonConfirmable, Opt.Observe(0)));
        h.Expect();

        var types = new List<CoapMessageType>();
        CoapMessage? last = null;
        for (int i = 0; i < 20 && (last is null || last.Type == CoapMessageType.NonConfirmable); i++)
        {
            sensor.NotifyObservers();
            last = h.Expect();
            types.Add(last.Type);
        }
        // §4.7: about 144 bytes of NON notifications with no time passing, then a CON that asks the observer to answer.
        Assert.Equal(CoapMessageType.Confirmable, last!.Type);
        Assert.InRange(types.Count, 8, 16);

        h.Send(CoapMessage.EmptyAck(last.MessageId)); // heard from: the budget starts over
        sensor.NotifyObservers();
        Assert.Equal(CoapMessageType.NonConfirmable, h.Expect().Type);
    }
}
