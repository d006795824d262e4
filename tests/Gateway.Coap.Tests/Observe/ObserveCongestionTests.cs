using System.Net;
using Gateway.Coap.Codec;
using Gateway.Coap.Messages;
using Gateway.Coap.Observe;
using Gateway.Coap.Server;
using Gateway.Coap.Tests.Endpoint;

namespace Gateway.Coap.Tests.Observe;

/// <summary>
/// Congestion control of notifications per peer (RFC 7252 §4.7), with many relations behind one address (a NAT,
/// a proxy, a border router): NSTART counts the peer's Confirmable notifications of every relation together,
/// PROBING_RATE is one budget for the peer, and a notification still waiting for its turn is replaced by a newer
/// one of the same relation (RFC 7641 §4.5.2).
/// </summary>
public class ObserveCongestionTests
{
    private static readonly IPEndPoint OtherPeer = new(IPAddress.Parse("192.0.2.11"), 40001);

    private static (EndpointHarness, SensorResource) Server(CoapEndpointOptions options)
    {
        var tree = new CoapServer();
        var sensor = tree.Add("", new SensorResource());
        options.MaxObserversPerPeer = 64;
        options.AckRandomFactor = 1.0;
        return (new EndpointHarness(tree, options), sensor);
    }

    /// <summary>Registers one relation per query value (one relation per peer and target, so each needs its own target).</summary>
    private static void Register(EndpointHarness h, int count, CoapMessageType type, IPEndPoint? from = null, int first = 0)
    {
        for (int i = first; i < first + count; i++)
        {
            h.Send(EndpointHarness.Get((ushort)(0x4000 + i), "temp", [(byte)(i >> 8), (byte)i], type,
                Opt.Observe(0), CoapOption.FromString(CoapOptionNumber.UriQuery, $"i={i}")), from);
            h.Expect(from);
        }
    }

    /// <summary>Everything sent so far, with the port it went to.</summary>
    private static List<(CoapMessage Message, int Port)> Drain(EndpointHarness h)
    {
        var sent = new List<(CoapMessage, int)>();
        while (h.Transport.TryTakeSent(out var bytes, out var to, TimeSpan.Zero))
        {
            Assert.True(CoapCodec.TryDecode(bytes, out var message, out _));
            sent.Add((message, to.Port));
        }
        return sent;
    }

    [Fact]
    public void ProbingRate_IsOneBudgetForThePeer_NotOnePerRelation()
    {
        // 10 bytes/s and one 144-byte datagram of burst; a notification of "20" is about 12 bytes.
        var (h, sensor) = Server(new CoapEndpointOptions { ProbingRate = 10, MaxMessageSize = 144, PreferredBlockSize = 16 });
        using var _ = h;
        Register(h, 30, CoapMessageType.NonConfirmable);
        Register(h, 1, CoapMessageType.NonConfirmable, OtherPeer, first: 100);

        sensor.NotifyObservers();
        var sent = Drain(h);

        // §4.7: about 144 bytes of NON to the peer as a whole (per relation it would be all 30), then Confirmable,
        // of which NSTART (1) is on the wire and the rest wait for its ACK.
        var toDevice = sent.Where(s => s.Port == EndpointHarness.Device.Port).Select(s => s.Message).ToList();
        int non = toDevice.Count(m => m.Type == CoapMessageType.NonConfirmable);
        Assert.InRange(non, 8, 16);
        var con = Assert.Single(toDevice, m => m.Type == CoapMessageType.Confirmable);
        Assert.Equal(30 - non, h.Endpoint.PendingConfirmables);
        // The other peer has a budget of its own.
        Assert.Equal(CoapMessageType.NonConfirmable, Assert.Single(sent, s => s.Port == OtherPeer.Port).Message.Type);

        // An ACK of any relation is hearing from the peer: its budget starts over, and the next waiting CON goes.
        h.Send(CoapMessage.EmptyAck(con.MessageId));
        Assert.Equal(CoapMessageType.Confirmable, Assert.Single(Drain(h)).Message.Type);
        sensor.NotifyObservers();
        Assert.Contains(Drain(h), s => s.Message.Type == CoapMessageType.NonConfirmable);
    }

    [Fact]
    public void Nstart_CountsEveryRelationOfThePeer_AndNotOtherPeers()
    {
        var (h, sensor) = Server(new CoapEndpointOptions());
        using var _ = h;
        Register(h, 3, CoapMessageType.Confirmable);
        Register(h, 1, CoapMessageType.Confirmable, OtherPeer, first: 100);

        sensor.NotifyObservers();
        var first = Drain(h);

        // §4.7, NSTART 1: one CON to each peer; the device's two others wait.
        Assert.Equal(2, first.Count);
        Assert.All(first, s => Assert.Equal(CoapMessageType.Confirmable, s.Message.Type));
        Assert.Equal(4, h.Endpoint.PendingConfirmables);
        var toDevice = Assert.Single(first, s => s.Port == EndpointHarness.Device.Port).Message;
        for (int i = 0; i < 2; i++)
        {
            h.Send(CoapMessage.EmptyAck(toDevice.MessageId));
            toDevice = Assert.Single(Drain(h)).Message;
        }
        h.Send(CoapMessage.EmptyAck(toDevice.MessageId));
        Assert.Empty(Drain(h));
        Assert.Equal(1, h.Endpoint.PendingConfirmables); // the other peer's, never acknowledged
    }

    [Fact]
    public void ANotificationWaitingForNstart_IsReplacedByANewerOne_OfTheSameRelation()
    {
        var (h, sensor) = Server(new CoapEndpointOptions());
        using var _ = h;
        Register(h, 2, CoapMessageType.Confirmable);
        var (a, b) = (sensor.Relations[0], sensor.Relations[1]);

        sensor.Value = "21";
        var toA = sensor.NotifyAsync(a);
        var waiting = sensor.NotifyAsync(b); // waits behind a's (NSTART 1)
        var onWire = Assert.Single(Drain(h)).Message;
        sensor.Value = "22";
        var newer = sensor.NotifyAsync(b);

        // RFC 7641 §4.5.2: b's older state is never sent; only the newer one goes, once a's ACK frees the peer.
        Assert.Empty(Drain(h));
        Assert.Equal(NotificationOutcome.Superseded, Opt.Completed(waiting));
        Assert.Equal(2, h.Endpoint.PendingConfirmables);
        h.Send(CoapMessage.EmptyAck(onWire.MessageId));
        Assert.Equal(NotificationOutcome.Acknowledged, Opt.Completed(toA));
        var toB = Assert.Single(Drain(h)).Message;
        Assert.Equal(("22", 2u), (Opt.Text(toB), Opt.ObserveOf(toB)!.Value));
        h.Send(CoapMessage.EmptyAck(toB.MessageId));
        Assert.Equal(NotificationOutcome.Acknowledged, Opt.Completed(newer));
        Assert.Empty(Drain(h));
    }
}
