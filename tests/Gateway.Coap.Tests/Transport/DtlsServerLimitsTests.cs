using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Gateway.Coap.Transport;
using Gateway.Coap.Transport.Dtls;
using Gateway.TestKit;

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

    private DtlsServerTransport Start(DtlsServerOptions options, TimeProvider? time = null)
    {
        var socket = new InMemoryDatagramTransport(ServerAddress, _network);
        _server = new DtlsServerTransport(socket, new DtlsTestStore(), options: options, timeProvider: time);
        _network.Filter = (_, to, bytes) =>
        {
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

    public void Dispose()
    {
        foreach (var client in _clients.Values) client.Close();
        _server?.Dispose();
    }
}
