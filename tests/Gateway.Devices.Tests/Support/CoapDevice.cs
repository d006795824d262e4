using System.Net;
using System.Text;
using Gateway.Coap;
using Gateway.Coap.Codec;
using Gateway.Coap.Messages;
using Gateway.Coap.Server;
using Gateway.Coap.Transport;

namespace Gateway.Devices.Tests.Support;

/// <summary>
/// A scripted device talking to a real <see cref="CoapEndpoint"/> over the in-memory transport:
/// requests are encoded datagrams, answers are decoded from what the endpoint sent (an empty ACK
/// followed by a separate response is followed through, and the separate CON is ACKed).
/// </summary>
public sealed class CoapDevice : IDisposable
{
    public static readonly IPEndPoint ServerAddress = new(IPAddress.Parse("192.0.2.1"), 5683);

    private ushort _messageId = 0x1000;

    public CoapDevice(ICoapRequestHandler server, IPEndPoint? address = null)
    {
        Address = address ?? new IPEndPoint(IPAddress.Parse("192.0.2.10"), 40000);
        Transport = new InMemoryDatagramTransport(ServerAddress);
        // A long piggyback deadline: tests here pin exact reply bytes, and on a loaded machine a commit
        // can take longer than the default 500 ms (the separate-response path is tested in Gateway.Coap.Tests).
        Endpoint = new CoapEndpoint(Transport, server, new CoapEndpointOptions { ReceiveThreads = 1, SeparateResponseDelay = TimeSpan.FromSeconds(5) });
        Endpoint.Start();
    }

    public IPEndPoint Address { get; set; }
    public InMemoryDatagramTransport Transport { get; }
    public CoapEndpoint Endpoint { get; }

    public ushort NextMessageId() => ++_messageId;

    public static CoapMessage Request(CoapCode method, string pathAndQuery, ushort messageId, string? payload = null, int? contentFormat = null,
        CoapMessageType type = CoapMessageType.Confirmable, byte[]? token = null, params CoapOption[] extra)
    {
        var parts = pathAndQuery.Split('?', 2);
        var options = new List<CoapOption>(extra);
        options.AddRange(parts[0].Split('/', StringSplitOptions.RemoveEmptyEntries).Select(s => CoapOption.FromString(CoapOptionNumber.UriPath, s)));
        if (parts.Length == 2) options.AddRange(parts[1].Split('&').Select(q => CoapOption.FromString(CoapOptionNumber.UriQuery, q)));
        if (contentFormat is { } cf) options.Add(CoapOption.FromUInt(CoapOptionNumber.ContentFormat, (uint)cf));
        options.Sort((a, b) => a.Number.CompareTo(b.Number));
        return new CoapMessage(type, method, messageId, token ?? [0x7A, (byte)messageId], options,
            payload is null ? default : Encoding.UTF8.GetBytes(payload));
    }

    public Task<CoapMessage> PostAsync(string path, string? payload, int? contentFormat = 50) =>
        SendAsync(Request(CoapCode.Post, path, NextMessageId(), payload, contentFormat));

    public Task<CoapMessage> GetAsync(string path, params CoapOption[] extra) =>
        SendAsync(Request(CoapCode.Get, path, NextMessageId(), extra: extra));

    /// <summary>Sends a request and returns its response (piggybacked, or separate after an empty ACK).</summary>
    public Task<CoapMessage> SendAsync(CoapMessage request) => Task.Run(() =>
    {
        Transport.Deliver(CoapCodec.Encode(request), Address);
        while (true)
        {
            var message = Receive(TimeSpan.FromSeconds(10)) ?? throw new TimeoutException("no answer");
            if (message.Type == CoapMessageType.Acknowledgement && message.IsEmpty) continue; // separate response follows
            if (message.Type == CoapMessageType.Confirmable)
            {
                Transport.Deliver(CoapCodec.Encode(CoapMessage.EmptyAck(message.MessageId)), Address);
            }
            return message;
        }
    });

    /// <summary>The next datagram the gateway sent, decoded; null after <paramref name="timeout"/>.</summary>
    public CoapMessage? Receive(TimeSpan timeout)
    {
        if (!Transport.TryTakeSent(out var bytes, out _, timeout)) return null;
        Assert.True(CoapCodec.TryDecode(bytes, out var message, out var error), $"undecodable datagram: {error.Kind}");
        return message;
    }

    public void Dispose() => Endpoint.Dispose();
}
