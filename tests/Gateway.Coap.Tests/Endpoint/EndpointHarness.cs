using System.Net;
using Gateway.Coap.Codec;
using Gateway.Coap.Messages;
using Gateway.Coap.Server;
using Gateway.Coap.Transport;
using Gateway.TestKit;

namespace Gateway.Coap.Tests.Endpoint;

/// <summary>
/// A scripted peer for one endpoint (Californium's LockstepEndpoint idea): datagrams go in through
/// the endpoint's synchronous receive path, what it sends is read back from an in-memory transport,
/// and time only moves when the test says so.
/// </summary>
internal sealed class EndpointHarness : IDisposable
{
    public static readonly IPEndPoint ServerAddress = new(IPAddress.Parse("192.0.2.1"), 5683);
    public static readonly IPEndPoint Device = new(IPAddress.Parse("192.0.2.10"), 40000);

    /// <param name="server">The endpoint's own address; an IPv6 one takes datagrams from IPv4 and IPv6 peers alike.</param>
    public EndpointHarness(ICoapRequestHandler? handler, CoapEndpointOptions? options = null, IPEndPoint? server = null)
    {
        Transport = new InMemoryDatagramTransport(server ?? ServerAddress);
        Endpoint = new CoapEndpoint(Transport, handler, options, Time);
    }

    public ManualTimeProvider Time { get; } = new();
    public InMemoryDatagramTransport Transport { get; }
    public CoapEndpoint Endpoint { get; }

    public void Send(CoapMessage message, IPEndPoint? from = null) => Send(CoapCodec.Encode(message), from);

    public void Send(byte[] datagram, IPEndPoint? from = null) => Endpoint.Inject(datagram, from ?? Device);

    /// <summary>The next datagram the endpoint sent (waits for ones sent from handler continuations).</summary>
    public CoapMessage Expect(IPEndPoint? to = null)
    {
        Assert.True(Transport.TryTakeSent(out var bytes, out var destination, TimeSpan.FromSeconds(5)), "expected a datagram, none was sent");
        var expected = to ?? Device;
        Assert.Equal(expected.Port, destination.Port);
        Assert.True(CoapCodec.TryDecode(bytes, out var message, out var error), $"sent an undecodable datagram: {error.Kind}");
        return message;
    }

    public byte[] ExpectBytes()
    {
        Assert.True(Transport.TryTakeSent(out var bytes, out _, TimeSpan.FromSeconds(5)), "expected a datagram, none was sent");
        return bytes;
    }

    /// <summary>Nothing was sent (for paths that answer synchronously or not at all).</summary>
    public void ExpectNothing() => Assert.Equal(0, Transport.SentCount);

    public static CoapMessage Get(ushort messageId, string path, byte[]? token = null, CoapMessageType type = CoapMessageType.Confirmable, params CoapOption[] extra) =>
        new(type, CoapCode.Get, messageId, token ?? [0xA1, 0xB2],
            [.. path.Split('/', StringSplitOptions.RemoveEmptyEntries).Select(s => CoapOption.FromString(CoapOptionNumber.UriPath, s)), .. extra]);

    public void Dispose() => Endpoint.Dispose();
}
