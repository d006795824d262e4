using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Gateway.Coap.Transport;
using Gateway.Coap.Transport.Dtls;
using Gateway.TestKit;
using Org.BouncyCastle.Tls;

namespace Gateway.Coap.Tests.Transport;

/// <summary>
/// The DTLS server's caps on its state (issue 16's denial-of-service rules): the session cap evicts the least
/// recently active session, and a session silent for <see cref="DtlsServerOptions.SessionIdleTimeout"/> is
/// dropped by the sweep on the transport's clock.
/// </summary>
public sealed class DtlsServerLimitsTests : IDisposable
{
    private static readonly IPEndPoint ServerAddress = new(IPAddress.Parse("10.0.0.1"), 5684);
    private readonly InMemoryNetwork _network = new();
    private readonly ConcurrentDictionary<IPEndPoint, DtlsTestClient> _clients = new();
    private DtlsServerTransport? _server;

    // Peers whose answers from the server are lost after the first (its HelloVerifyRequest): their handshakes stall.
    private readonly ConcurrentDictionary<IPEndPoint, int> _stalled = new();

    private DtlsServerTransport Start(DtlsServerOptions options, TimeProvider? time = null)
    {
        var socket = new InMemoryDatagramTransport(ServerAddress, _network);
        _server = new DtlsServerTransport(socket, new DtlsTestStore(), options: options, timeProvider: time);
        _network.Filter = (_, to, bytes) =>
        {
            if (_stalled.ContainsKey(to) && _stalled.AddOrUpdate(to, 1, (_, n) => n + 1) > 1) return false;
            if (_clients.TryGetValue(to, out var client)) { client.Accept(bytes); return false; }
            return true;
        };
        _server.Start();
        return _server;
    }

    private DtlsTestClient Connected(int port)
    {
        var client = new DtlsTestClient(_network, new IPEndPoint(IPAddress.Parse("10.0.0.2"), port), ServerAddress);
        _clients[client.Local] = client;
        client.Connect("dev-1", "key-of-dev-1");
        return client;
    }

    private string? Identity(DtlsTestClient client) => _server!.GetSessionIdentity(PeerAddress.From(client.Local));

    [Fact]
    public void SessionCap_ANewSessionEvictsTheLeastRecentlyActive_AndCountsIt()
    {
        var server = Start(new DtlsServerOptions { MaxSessions = 2, HandshakeTimeout = TimeSpan.FromSeconds(5) });
        var first = Connected(41000);
        var second = Connected(41001);
        Assert.Equal("Device 1", Identity(first));
        Assert.Equal("Device 1", Identity(second));

        var third = Connected(41002);

        Assert.Null(Identity(first));
        Assert.Equal("Device 1", Identity(second));
        Assert.Equal("Device 1", Identity(third));
        Assert.Equal(1, server.Statistics.SessionsEvicted);
        Assert.True(server.Statistics.Sessions <= 2, $"{server.Statistics.Sessions} sessions kept with a cap of 2");
    }

    [Fact]
    public void HandshakeCap_ANewHandshakeEvictsTheOldest_AndItIsCounted()
    {
        var server = Start(new DtlsServerOptions { MaxHandshakes = 1, HandshakeTimeout = TimeSpan.FromSeconds(30) });
        var stuck = new DtlsTestClient(_network, new IPEndPoint(IPAddress.Parse("10.0.0.4"), 41030), ServerAddress);
        _clients[stuck.Local] = stuck;
        _stalled[stuck.Local] = 0;
        var attempt = Task.Run(() => { try { stuck.Connect("dev-1", "key-of-dev-1"); } catch (Exception e) when (e is TlsTimeoutException or TlsFatalAlert or IOException) { } });
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (server.Statistics.Handshaking == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the stalled handshake never started");
            Thread.Sleep(10);
        }

        var good = Connected(41031);

        Assert.Equal("Device 1", Identity(good));
        Assert.Equal(1, server.Statistics.HandshakesFailed(DtlsHandshakeFailure.Evicted));
        Assert.Null(Identity(stuck));
    }

    [Fact]
    public void IdleSession_IsDroppedAfterTheIdleTimeout_OnTheTransportsClock()
    {
        var time = new ManualTimeProvider();
        var server = Start(new DtlsServerOptions { SessionIdleTimeout = TimeSpan.FromMinutes(10), HandshakeTimeout = TimeSpan.FromSeconds(5) }, time);
        var client = Connected(41010);
        Assert.Equal("Device 1", Identity(client));

        time.Advance(TimeSpan.FromMinutes(9));
        Assert.Equal("Device 1", Identity(client)); // not yet idle long enough
        Assert.Equal(0, server.Statistics.SessionsExpired);

        time.Advance(TimeSpan.FromMinutes(2));
        Assert.Null(Identity(client));
        Assert.Equal(1, server.Statistics.SessionsExpired);
    }

    // RFC 9146: a sleepy device behind a NAT comes back from another address; with a connection id on its records the
    // server finds its session by the id and answers at the new address, while the CoAP layer keeps seeing the
    // session under the address it was established from (so its Observe relations and dedup entries stay its own).
    [Fact]
    public void ConnectionId_ANatRebindingKeepsTheSessionAndItsIdentity()
    {
        var server = Start(new DtlsServerOptions { ConnectionIdLength = 6, HandshakeTimeout = TimeSpan.FromSeconds(5) });
        var client = new DtlsTestClient(_network, new IPEndPoint(IPAddress.Parse("10.0.0.2"), 41020), ServerAddress);
        _clients[client.Local] = client;
        var session = client.Connect("dev-1", "key-of-dev-1", connectionId: true);
        session.Send(Encoding.UTF8.GetBytes("before"));
        Assert.Equal("before", ReceiveText(server).Text);
        var original = client.Local;

        var moved = new IPEndPoint(IPAddress.Parse("10.0.0.3"), 52000);
        _clients[moved] = client;
        client.Rebind(moved);
        session.Send(Encoding.UTF8.GetBytes("after"));

        var (text, from) = ReceiveText(server);
        Assert.Equal("after", text);
        Assert.Equal(original, from);
        Assert.Equal("Device 1", server.GetSessionIdentity(PeerAddress.From(original)));
        Assert.Equal(1, server.Statistics.Rebinds);

        // The answer goes to where the device is now.
        server.Send(Encoding.UTF8.GetBytes("reply"), original.Serialize());
        var buffer = new byte[2048];
        int length = session.Receive(buffer, 0, buffer.Length, 5000);
        Assert.Equal("reply", Encoding.UTF8.GetString(buffer, 0, Math.Max(length, 0)));
    }

    private static (string Text, IPEndPoint From) ReceiveText(DtlsServerTransport server)
    {
        var buffer = new byte[2048];
        var remote = new System.Net.SocketAddress(server.AddressFamily);
        var receive = Task.Run(() => server.Receive(buffer, remote));
        Assert.True(receive.Wait(TimeSpan.FromSeconds(10)), "the server delivered no plaintext");
        return (Encoding.UTF8.GetString(buffer, 0, receive.Result), (IPEndPoint)new IPEndPoint(IPAddress.Any, 0).Create(remote));
    }

    public void Dispose()
    {
        foreach (var client in _clients.Values) client.Close();
        _server?.Dispose();
    }
}
