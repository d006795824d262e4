using System.Net;
using System.Text;
using Gateway.Coap.Codec;
using Gateway.Coap.Messages;
using Gateway.Coap.Server;
using Gateway.Coap.Tests.Observe;
using Gateway.Coap.Transport;
using Gateway.TestKit;

namespace Gateway.Coap.Tests.Endpoint;

/// <summary>
/// reliability.md S1 at CI size: 100,000 fixed-seed mutations of valid exchanges (requests with Observe,
/// Block1 and Block2, pings, ACKs, RSTs) from eight peers through the whole dispatcher — reject policy,
/// deduplication, observe, block-wise, routing, handlers — while the clock moves. Nothing may escape the
/// dispatcher, no handler may fail, everything the endpoint sends must decode, and it must still answer
/// correctly afterwards.
/// </summary>
public class DispatcherMutationTests
{
    private static byte[] Encode(CoapMessageType type, CoapCode code, ushort mid, string path, byte[]? payload = null, params CoapOption[] extra) =>
        CoapCodec.Encode(new CoapMessage(type, code, mid, new byte[] { 0x10, (byte)mid },
            [.. path.Split('/', StringSplitOptions.RemoveEmptyEntries).Select(s => CoapOption.FromString(CoapOptionNumber.UriPath, s)), .. extra], payload));

    private static byte[][] Seeds() =>
    [
        Encode(CoapMessageType.Confirmable, CoapCode.Get, 1, "temp"),
        Encode(CoapMessageType.Confirmable, CoapCode.Get, 2, "temp", null, Opt.Observe(0)),
        Encode(CoapMessageType.NonConfirmable, CoapCode.Get, 3, "temp", null, Opt.Observe(1)),
        Encode(CoapMessageType.Confirmable, CoapCode.Get, 4, "big", null, Opt.Block2(1, 2)),
        Encode(CoapMessageType.Confirmable, CoapCode.Put, 5, "echo", new byte[16], Opt.Block1(0, true, 0)),
        Encode(CoapMessageType.Confirmable, CoapCode.Put, 6, "echo", new byte[5], Opt.Block1(1, false, 0)),
        Encode(CoapMessageType.Confirmable, CoapCode.Post, 7, "echo", Encoding.UTF8.GetBytes("{\"t\":21.5}"), CoapOption.FromUInt(CoapOptionNumber.ContentFormat, 50)),
        Encode(CoapMessageType.Confirmable, CoapCode.Get, 8, ".well-known/core", null, CoapOption.FromString(CoapOptionNumber.UriQuery, "rt=temp*")),
        Encode(CoapMessageType.Confirmable, CoapCode.Fetch, 9, "temp", null, Opt.Observe(0), CoapOption.FromUInt(CoapOptionNumber.Accept, 0)),
        Convert.FromHexString("40000001"),  // ping
        Convert.FromHexString("60000002"),  // empty ACK
        Convert.FromHexString("70000003"),  // RST
        Convert.FromHexString("40017d34bb74656d7065726174757265"), // RFC 7252 Fig. 16
    ];

    [Fact]
    public void HundredThousandMutatedDatagrams_NothingEscapes_NoHandlerFails_EveryAnswerDecodes()
    {
        var server = new CoapServer();
        var sensor = server.Add("", new SensorResource());
        var big = new string('b', 3000);
        server.Add("", new DelegateResource("big").On(CoapCode.Get, _ => CoapResponse.Text(CoapCode.Content, big)));
        server.Add("", new DelegateResource("echo")
            .On(CoapCode.Put, r => new CoapResponse(CoapCode.Changed, r.Payload.ToArray()))
            .On(CoapCode.Post, r => new CoapResponse(CoapCode.Created, r.Payload.ToArray())));
        var time = new ManualTimeProvider();
        var logger = new ListLogger();
        var transport = new InMemoryDatagramTransport(EndpointHarness.ServerAddress);
        using var endpoint = new CoapEndpoint(transport, server, new CoapEndpointOptions(), time, logger);
        var peers = Enumerable.Range(0, 8).Select(i => new IPEndPoint(IPAddress.Parse($"192.0.2.{20 + i}"), 40000 + i)).ToArray();

        var random = new Random(0x5107);
        var seeds = Seeds();
        int sent = 0;
        for (int i = 0; i < 100_000; i++)
        {
            var input = DatagramMutator.Mutate(random, seeds[random.Next(seeds.Length)]);
            // Mostly a fresh Message ID (a new exchange, past deduplication); sometimes the seed's (a duplicate).
            if (input.Length >= 4 && random.Next(10) > 0)
            {
                input[2] = (byte)(i >> 8);
                input[3] = (byte)i;
            }
            endpoint.Inject(input, peers[random.Next(peers.Length)]);
            if (i % 500 == 0) sensor.NotifyObservers();
            if (i % 1000 == 0)
            {
                time.Advance(TimeSpan.FromSeconds(random.Next(1, 30))); // retransmissions, CON notifications, Block1 expiry
                sent += DrainDecodable(transport);
            }
        }
        sent += DrainDecodable(transport);

        var escaped = logger.Entries.Where(e => e.EventId is 102 or 103 or 106).ToList();
        Assert.True(escaped.Count == 0, string.Join("\n", escaped.Take(5).Select(e => e.Message)));
        Assert.Equal(0, endpoint.Statistics.HandlerErrors);
        // Both sides of the decoder were exercised, and the handlers ran.
        Assert.True(endpoint.Statistics.Malformed > 1000 && endpoint.Statistics.Requests > 10_000 && sent > 10_000,
            $"malformed {endpoint.Statistics.Malformed}, requests {endpoint.Statistics.Requests}, sent {sent}");

        // Still answering: a fresh peer gets the sensor's value.
        var fresh = new IPEndPoint(IPAddress.Parse("192.0.2.99"), 5000);
        endpoint.Inject(Encode(CoapMessageType.Confirmable, CoapCode.Get, 0xBEEF, "temp"), fresh);
        Assert.True(transport.TryTakeSent(out var reply, out _, TimeSpan.FromSeconds(5)));
        Assert.True(CoapCodec.TryDecode(reply, out var message, out _));
        Assert.Equal((CoapCode.Content, (ushort)0xBEEF, "20"), (message.Code, message.MessageId, Encoding.UTF8.GetString(message.Payload.Span)));
    }

    private static int DrainDecodable(InMemoryDatagramTransport transport)
    {
        int count = 0;
        while (transport.TryTakeSent(out var datagram, out _, TimeSpan.Zero))
        {
            Assert.True(CoapCodec.TryDecode(datagram, out _, out var error), $"the endpoint sent an undecodable datagram ({error.Kind}): {Convert.ToHexString(datagram)}");
            count++;
        }
        return count;
    }
}
