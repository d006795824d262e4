using System.Net;
using Gateway.Coap.Codec;
using Gateway.Coap.Messages;
using Gateway.Coap.Server;
using Gateway.Coap.Tests.Observe;
using Gateway.Coap.Transport;
using Gateway.TestKit;

namespace Gateway.Coap.Tests.Endpoint;

/// <summary>
/// Asynchronous exchanges are reused with their address buffer and deadline timer (issue 21: no allocation per
/// exchange). A reused exchange must answer its own peer with its own Message ID and token, arm its own deadline
/// (RFC 7252 §5.2.2), and never take a late callback of its previous use for its own.
/// </summary>
public class ServerExchangeReuseTests
{
    private static readonly IPEndPoint DeviceA = new(IPAddress.Parse("192.0.2.10"), 40000);
    private static readonly IPEndPoint DeviceB = new(IPAddress.Parse("2001:db8::7"), 40007);

    [Fact]
    public void AReusedExchange_AnswersItsOwnPeer_AndArmsItsOwnDeadline()
    {
        var pending = new Queue<TaskCompletionSource<CoapResponse>>();
        var handler = new ScriptedHandler { Respond = _ => new(Enqueue(pending).Task) };
        using var h = new EndpointHarness(handler, new CoapEndpointOptions { AckRandomFactor = 1.0 }, new IPEndPoint(IPAddress.IPv6Any, 5683));

        // Use 1 (IPv4): answered before its deadline, piggybacked.
        h.Send(EndpointHarness.Get(0x0101, "a", [0x01]), DeviceA);
        pending.Dequeue().SetResult(CoapResponse.Text(CoapCode.Content, "one"));
        var first = h.Expect(DeviceA);
        Assert.Equal((CoapMessageType.Acknowledgement, (ushort)0x0101, "01", "one"), (first.Type, first.MessageId, Hex.Of(first.Token.Span), Opt.Text(first)));
        Assert.True(SpinWait.SpinUntil(() => h.Endpoint.SpareExchangeCount == 1, TimeSpan.FromSeconds(5)), "the exchange was not kept");

        // Use 2 (IPv6, the same exchange object): its deadline passes, so an empty ACK and then a separate response.
        h.Send(EndpointHarness.Get(0x0202, "b", [0x02, 0x02]), DeviceB);
        Assert.Equal(0, h.Endpoint.SpareExchangeCount);
        h.Time.Advance(TimeSpan.FromMilliseconds(499));
        h.ExpectNothing();
        h.Time.Advance(TimeSpan.FromMilliseconds(1));
        var ack = h.Expect(DeviceB);
        Assert.Equal((CoapMessageType.Acknowledgement, (ushort)0x0202, true), (ack.Type, ack.MessageId, ack.IsEmpty));
        pending.Dequeue().SetResult(CoapResponse.Text(CoapCode.Content, "two"));
        var separate = h.Expect(DeviceB);
        Assert.Equal((CoapMessageType.Confirmable, "0202", "two"), (separate.Type, Hex.Of(separate.Token.Span), Opt.Text(separate)));
        Assert.True(SpinWait.SpinUntil(() => h.Endpoint.SpareExchangeCount == 1, TimeSpan.FromSeconds(5)), "the exchange was not kept");

        // Use 3 (IPv4 again): answered in time; its deadline is disarmed, and the separate response's retransmissions
        // still go to use 2's peer (the sender kept its own copy of the address).
        h.Send(EndpointHarness.Get(0x0303, "c", [0x03]), DeviceA);
        pending.Dequeue().SetResult(CoapResponse.Text(CoapCode.Content, "three"));
        var third = h.Expect(DeviceA);
        Assert.Equal((CoapMessageType.Acknowledgement, (ushort)0x0303, "three"), (third.Type, third.MessageId, Opt.Text(third)));
        h.Time.Advance(TimeSpan.FromSeconds(2.5)); // past use 3's deadline and the separate response's first timeout (2 s)
        var retransmitted = h.Expect(DeviceB);
        Assert.Equal((separate.MessageId, "two"), (retransmitted.MessageId, Opt.Text(retransmitted)));
        h.ExpectNothing();
    }

    [Fact]
    public void ALateDeadlineCallbackOfThePreviousUse_DoesNotAcknowledgeTheNext()
    {
        using var scene = new LateCallbackScene();
        // Use 1 ends just before its deadline; its callback was already on its way (dispatched, not yet run).
        var lateCallback = scene.FirstUseAnsweredAfter(TimeSpan.FromMilliseconds(499));

        scene.Endpoint.Inject(CoapCodec.Encode(EndpointHarness.Get(0x0202, "b", [0x02])), DeviceB);
        scene.Time.Advance(TimeSpan.FromMilliseconds(2));
        lateCallback(); // use 1's callback runs now, 2 ms into use 2
        Assert.Equal(0, scene.Transport.SentCount);
        Assert.Single(scene.Time.Timers); // the same timer, re-armed

        scene.Time.Advance(TimeSpan.FromMilliseconds(498)); // use 2's own deadline
        Assert.True(scene.Transport.TryTakeSent(out var bytes, out var to, TimeSpan.FromSeconds(5)));
        Assert.True(CoapCodec.TryDecode(bytes, out var ack, out _));
        Assert.Equal((true, (ushort)0x0202, DeviceB.Port), (ack.IsEmpty, ack.MessageId, to.Port));
        scene.Pending.Dequeue().SetResult(CoapResponse.Empty(CoapCode.Changed));
    }

    [Fact]
    public void ALateDeadlineCallbackOfAConfirmableUse_NeverAcknowledgesANonConfirmableOne()
    {
        using var scene = new LateCallbackScene();
        var lateCallback = scene.FirstUseAnsweredAfter(TimeSpan.Zero);

        // The same exchange for a NON request (RFC 7252 §4.3: never acknowledged), still pending long after it began.
        scene.Endpoint.Inject(CoapCodec.Encode(EndpointHarness.Get(0x0202, "b", [0x02], CoapMessageType.NonConfirmable)), DeviceB);
        scene.Time.Advance(TimeSpan.FromMilliseconds(400));
        lateCallback(); // the confirmable use's callback, very late
        Assert.Equal(0, scene.Transport.SentCount);
        scene.Pending.Dequeue().SetResult(CoapResponse.Empty(CoapCode.Changed));
    }

    /// <summary>An endpoint on a clock that hands the test its timers' callbacks, and handlers that wait for the test.</summary>
    private sealed class LateCallbackScene : IDisposable
    {
        public LateCallbackScene() =>
            Endpoint = new CoapEndpoint(Transport, new ScriptedHandler { Respond = _ => new(Enqueue(Pending).Task) }, timeProvider: Time);

        public CapturingTimeProvider Time { get; } = new();
        public InMemoryDatagramTransport Transport { get; } = new(new IPEndPoint(IPAddress.IPv6Any, 5683));
        public Queue<TaskCompletionSource<CoapResponse>> Pending { get; } = new();
        public CoapEndpoint Endpoint { get; }

        /// <summary>A confirmable use answered <paramref name="after"/> it began and kept for reuse; returns its deadline's callback, to run late.</summary>
        public Action FirstUseAnsweredAfter(TimeSpan after)
        {
            Endpoint.Inject(CoapCodec.Encode(EndpointHarness.Get(0x0101, "a", [0x01])), DeviceA);
            var (callback, state) = Assert.Single(Time.Timers);
            Time.Advance(after);
            Pending.Dequeue().SetResult(CoapResponse.Text(CoapCode.Content, "one"));
            Assert.True(Transport.TryTakeSent(out _, out _, TimeSpan.FromSeconds(5)));
            Assert.True(SpinWait.SpinUntil(() => Endpoint.SpareExchangeCount == 1, TimeSpan.FromSeconds(5)));
            return () => callback(state);
        }

        public void Dispose() => Endpoint.Dispose();
    }

    private static TaskCompletionSource<CoapResponse> Enqueue(Queue<TaskCompletionSource<CoapResponse>> pending)
    {
        var next = new TaskCompletionSource<CoapResponse>();
        pending.Enqueue(next);
        return next;
    }

    /// <summary>A manual clock that also hands the test every timer's callback, to run one late as a pool thread might.</summary>
    private sealed class CapturingTimeProvider : TimeProvider
    {
        private readonly ManualTimeProvider _clock = new();

        public List<(TimerCallback Callback, object? State)> Timers { get; } = [];

        public override long TimestampFrequency => _clock.TimestampFrequency;
        public override long GetTimestamp() => _clock.GetTimestamp();
        public override DateTimeOffset GetUtcNow() => _clock.GetUtcNow();
        public void Advance(TimeSpan by) => _clock.Advance(by);

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            Timers.Add((callback, state));
            return _clock.CreateTimer(callback, state, dueTime, period);
        }
    }
}
