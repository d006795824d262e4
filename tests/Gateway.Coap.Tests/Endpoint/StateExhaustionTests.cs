using System.Net;
using Gateway.Coap.Messages;
using Gateway.Coap.Server;
using Gateway.Coap.Tests.Observe;

namespace Gateway.Coap.Tests.Endpoint;

/// <summary>
/// reliability.md S5 (RFC 7252 §11, RFC 7641 §7, RFC 7959 §7) at its stated size with the default caps: 12,000
/// spoofed peers each open a Block1 transfer and an Observe registration. State stays within the caps
/// (256 partial bodies, 10,000 observers), a legitimate device is still served, and the partial bodies are
/// gone once the idle timeout has passed.
/// </summary>
public class StateExhaustionTests
{
    private static readonly byte[] Block = new byte[1024];

    private static IPEndPoint Spoofed(int i) => new(new IPAddress([198, 18, (byte)(i >> 8), (byte)i]), 1024 + i % 60000);

    [Fact]
    public void TwelveThousandSpoofedPeers_StayWithinTheCaps_AndLeaveNoPartialBodiesBehind()
    {
        var server = new CoapServer();
        var sensor = server.Add("", new SensorResource());
        server.Add("", new DelegateResource("upload").On(CoapCode.Put, r => CoapResponse.Text(CoapCode.Changed, r.Payload.Length.ToString(System.Globalization.CultureInfo.InvariantCulture))));
        using var h = new EndpointHarness(server);
        var defaults = new CoapEndpointOptions();

        for (int i = 0; i < 12_000; i++)
        {
            var peer = Spoofed(i);
            h.Send(new CoapMessage(CoapMessageType.Confirmable, CoapCode.Put, (ushort)i, new byte[] { 1 },
                [CoapOption.FromString(CoapOptionNumber.UriPath, "upload"), Opt.Block1(0, true, 6)], Block), peer);
            h.Send(EndpointHarness.Get((ushort)(i + 30_000), "temp", [2], extra: Opt.Observe(0)), peer);
            if (i % 1000 == 0) while (h.Transport.TryTakeSent(out _, out _, TimeSpan.Zero)) { } // keep the test's own memory flat
        }
        while (h.Transport.TryTakeSent(out _, out _, TimeSpan.Zero)) { }

        Assert.Equal(defaults.MaxBlock1Transfers, h.Endpoint.PartialBodies);
        Assert.Equal(12_000 - defaults.MaxBlock1Transfers, h.Endpoint.Block1Evictions);
        Assert.Equal(defaults.MaxObservers, sensor.ObserverCount);
        Assert.Equal(12_000 - defaults.MaxObservers, h.Endpoint.Statistics.ObserversEvicted);

        // A legitimate device uploads 1,030 bytes in two blocks, as if nothing happened.
        var device = new IPEndPoint(IPAddress.Parse("192.0.2.50"), 5683);
        h.Send(new CoapMessage(CoapMessageType.Confirmable, CoapCode.Put, 0xAAA0, new byte[] { 9 },
            [CoapOption.FromString(CoapOptionNumber.UriPath, "upload"), Opt.Block1(0, true, 6)], Block), device);
        Assert.Equal(CoapCode.Continue, h.Expect(device).Code);
        h.Send(new CoapMessage(CoapMessageType.Confirmable, CoapCode.Put, 0xAAA1, new byte[] { 9 },
            [CoapOption.FromString(CoapOptionNumber.UriPath, "upload"), Opt.Block1(1, false, 6)], new byte[6]), device);
        var done = h.Expect(device);
        Assert.Equal((CoapCode.Changed, "1030"), (done.Code, Opt.Text(done)));

        // S5: partial state gone within 300 s of the attack (idle timeout 120 s, swept every 60 s).
        h.Time.Advance(defaults.BlockTransferIdleTimeout + defaults.BlockTransferIdleTimeout / 2);
        Assert.Equal(0, h.Endpoint.PartialBodies);
    }
}
