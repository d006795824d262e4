using System.Net;
using System.Text;
using Gateway.Coap.Codec;
using Gateway.Coap.Messages;
using Gateway.Coap.Server;
using Gateway.Coap.Tests.Endpoint;
using Gateway.Coap.Tests.Observe;
using Gateway.Coap.Transport;
using Gateway.Coap.Transport.Dtls;
using Microsoft.Extensions.Logging;
using Org.BouncyCastle.Tls;
using static Gateway.Coap.Tests.Transport.DtlsTestNetwork;

namespace Gateway.Coap.Tests.Transport;

/// <summary>
/// RFC 9146 connection ids: a device behind a NAT that comes back from another address keeps its session. The server
/// finds the session by the id on an authenticated record and answers at the new address, while the CoAP layer keeps
/// knowing the session by the address it was established from (its Observe relations and dedup entries stay its own).
/// The in-memory network loses nothing, so no test retransmits: every record must arrive.
/// </summary>
public sealed class DtlsConnectionIdTests : IDisposable
{
    private static readonly DtlsServerOptions Options = new() { ConnectionIdLength = 6, HandshakeTimeout = TimeSpan.FromSeconds(60) };
    private readonly DtlsTestNetwork _net = new();

    /// <summary>
    /// The session moves when the record from the new address is decrypted, before its data reaches the endpoint, so
    /// the answer goes to the new address; here the NAT hands the device an address a stale session still holds, which the
    /// move takes over (when the data was handed on before the move, the answer went to the old address, lost).
    /// </summary>
    [Fact]
    public void Rebinding_TheAnswerToTheRecordThatMovedTheSession_GoesToTheNewAddress()
    {
        var log = new NoticingLogger("taken over");
        var server = _net.Start(Options, logger: log);
        var device = _net.NewClient("10.0.0.2", 41020);
        var original = device.Local;
        var session = device.Connect("dev-1", "key-of-dev-1", connectionId: true);
        session.Send("before"u8);
        Assert.Equal(("before", original), ReceivePlaintext());
        var stale = _net.NewClient("10.0.0.3", 52000);
        stale.Connect("dev-1", "key-of-dev-1");
        Eventually(() => _net.Identity(stale.Local) == "Device 1", "the stale session was not established");
        var moved = stale.Local;
        stale.Close();

        _net.Move(device, moved);
        session.Send("after"u8);
        Assert.Equal(("after", original), ReceivePlaintext());
        server.Send("reply"u8, original.Serialize());

        Assert.Equal("reply", ReceiveText(session));
        Assert.True(log.Noticed, "taking the address over was not logged");
        Eventually(() => server.Statistics.Rebinds == 1, "the rebinding was not counted");
        Assert.Equal("Device 1", _net.Identity(original));
        Assert.Null(_net.Identity(moved)); // the stale session is gone; the device's is known by its first address
        session.Send("again"u8);
        Assert.Equal(("again", original), ReceivePlaintext());
    }

    /// <summary>
    /// The client is done with its handshake when it has the server's Finished; the server's handshake thread establishes
    /// the session a moment later. A record the client sends from a new address in that moment names the session by
    /// its connection id and must reach it. Reproduced deterministically: the network holds the server's handshake
    /// thread right after it has delivered its Finished, and the record is dispatched while it is held.
    /// </summary>
    [Fact]
    public void Rebinding_RightAfterTheHandshake_BeforeTheServerHasEstablishedTheSession_KeepsTheRecord()
    {
        var server = _net.Start(Options);
        var device = _net.NewClient("10.0.0.2", 41022);
        var original = device.Local;
        var moved = new IPEndPoint(IPAddress.Parse("10.0.0.3"), 52002);
        using var release = new ManualResetEventSlim();
        byte[]? captured = null;
        bool held = false;
        _net.Drop = (from, bytes) =>
        {
            if (from.Equals(moved)) { captured = bytes; return true; } // dispatched by the test itself, below
            if (held || !from.Equals(ServerAddress) || !CarriesEncryptedRecord(bytes)) return false;
            held = true; // the server's Finished: delivered, then its handshake thread waits
            device.Accept(bytes);
            release.Wait(Patience);
            return true;
        };
        var session = device.Connect("dev-1", "key-of-dev-1", connectionId: true);
        Assert.Null(_net.Identity(original)); // not yet established on the server

        _net.Move(device, moved);
        session.Send("after"u8);
        Assert.NotNull(captured);
        Assert.Equal(-1, server.Dispatch(captured, captured.Length, moved.Serialize(), new byte[2048], out _)); // queued for the handshake
        release.Set();

        Assert.Equal(("after", original), ReceivePlaintext());
        Eventually(() => server.Statistics.Rebinds == 1, "the rebinding was not counted");
        server.Send("reply"u8, original.Serialize());
        Assert.Equal("reply", ReceiveText(session));
        Assert.Equal(0, server.Statistics.RecordsWithoutSession);
    }

    private static bool CarriesEncryptedRecord(ReadOnlySpan<byte> datagram)
    {
        while (DtlsRecordHeader.TryRead(datagram, 0, out var header))
        {
            if (header.Epoch > 0) return true;
            datagram = datagram[(DtlsRecordHeader.PlainHeaderLength + header.FragmentLength)..];
        }
        return false;
    }

    [Fact]
    public void Rebinding_KeepsTheSessionItsIdentityAndItsObserveRelation()
    {
        var server = _net.Start(Options, withReceiver: false);
        var sensor = new SensorResource();
        var coap = new CoapServer();
        coap.Add("", sensor);
        coap.Add("", new DelegateResource("whoami").On(CoapCode.Get, r => CoapResponse.Text(CoapCode.Content, r.SessionIdentity ?? "(none)")));
        using var endpoint = new CoapEndpoint(server, coap);
        endpoint.Start();
        var device = _net.NewClient("10.0.0.2", 41021);
        var original = device.Local;
        var session = device.Connect("dev-1", "key-of-dev-1", connectionId: true);
        Send(session, EndpointHarness.Get(1, "temp", [1], extra: Opt.Observe(0)));
        var registered = Receive(session, [1], "the answer to the Observe registration");
        Assert.Equal(CoapCode.Content, registered.Code);
        Assert.NotNull(Opt.ObserveOf(registered));

        _net.Move(device, new IPEndPoint(IPAddress.Parse("10.0.0.3"), 52001));
        Send(session, EndpointHarness.Get(2, "whoami", [2]));
        var whoami = Receive(session, [2], "the answer at the new address");
        sensor.Value = "21";
        sensor.NotifyObservers();
        var notification = Receive(session, [1], "the notification at the new address");
        if (notification.Type == CoapMessageType.Confirmable) Send(session, CoapMessage.EmptyAck(notification.MessageId));

        Assert.Equal("Device 1", Opt.Text(whoami));
        Assert.Equal("21", Opt.Text(notification));
        Assert.Equal(PeerAddress.From(original), Assert.Single(sensor.Added).Peer);
        Assert.Empty(sensor.Removed);
        Eventually(() => server.Statistics.Rebinds == 1, "the rebinding was not counted");
    }

    /// <summary>The next plaintext the server's receive thread returned, and the sender it named.</summary>
    private (string Text, IPEndPoint From) ReceivePlaintext()
    {
        var received = _net.Received!.TryTake(Patience);
        Assert.True(received is not null, "the server delivered no plaintext");
        return (Encoding.UTF8.GetString(received.Value.Data), received.Value.From);
    }

    private static string ReceiveText(DtlsTransport session)
    {
        var buffer = new byte[2048];
        int length = session.Receive(buffer, 0, buffer.Length, (int)Patience.TotalMilliseconds);
        return length < 0 ? "(nothing)" : Encoding.UTF8.GetString(buffer, 0, length);
    }

    private static void Send(DtlsTransport session, CoapMessage message) => session.Send(CoapCodec.Encode(message));

    /// <summary>The next CoAP message with <paramref name="token"/> the device receives (others, e.g. repeats, are skipped).</summary>
    private static CoapMessage Receive(DtlsTransport session, byte[] token, string what)
    {
        var buffer = new byte[2048];
        long deadline = Environment.TickCount64 + (long)Patience.TotalMilliseconds;
        while (Environment.TickCount64 < deadline)
        {
            int length = session.Receive(buffer, 0, buffer.Length, (int)Math.Max(1, deadline - Environment.TickCount64));
            if (length >= 0 && CoapCodec.TryDecode(buffer.AsSpan(0, length).ToArray(), out var message, out _) && message.Token.Span.SequenceEqual(token))
                return message;
        }
        Assert.Fail($"the device received no {what}");
        return null!;
    }

    public void Dispose() => _net.Dispose();

    /// <summary>Notices a log message containing a text.</summary>
    private sealed class NoticingLogger(string text) : ILogger
    {
        private volatile bool _noticed;

        public bool Noticed => _noticed;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (formatter(state, exception).Contains(text, StringComparison.Ordinal)) _noticed = true;
        }
    }
}
