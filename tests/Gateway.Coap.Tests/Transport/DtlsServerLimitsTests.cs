using System.Net;
using Gateway.Coap.Transport.Dtls;
using Gateway.TestKit;
using Org.BouncyCastle.Tls;
using static Gateway.Coap.Tests.Transport.DtlsTestNetwork;

namespace Gateway.Coap.Tests.Transport;

/// <summary>
/// The DTLS server's caps on its state (issue 16's denial-of-service rules): the session cap evicts the least
/// recently active session, the handshake cap the oldest handshake, and a handshake past its timeout or a session
/// silent for <see cref="DtlsServerOptions.SessionIdleTimeout"/> is dropped by the sweep on the transport's clock.
/// </summary>
public sealed class DtlsServerLimitsTests : IDisposable
{
    private readonly DtlsTestNetwork _net = new();

    private DtlsTestClient Connected(int port)
    {
        var client = _net.NewClient("10.0.0.2", port);
        client.Connect("dev-1", "key-of-dev-1");
        // The client is done on the server's Finished; the server establishes the session just after.
        Eventually(() => _net.Identity(client.Local) == "Device 1", $"the server never established the session with {client.Local}");
        return client;
    }

    /// <summary>
    /// A peer whose handshake starts (its ClientHello with a valid cookie reaches the server) and then stalls: the
    /// network loses everything it sends after that ClientHello, so no retransmission can start it again.
    /// </summary>
    private DtlsTestClient Stalled(int port)
    {
        var client = _net.NewClient("10.0.0.4", port);
        bool cookieSent = false; // the client sends from one thread
        _net.Drop = (from, bytes) =>
        {
            if (!from.Equals(client.Local)) return false;
            if (cookieSent) return true;
            cookieSent = CookieLength(bytes) > 0;
            return false;
        };
        _ = Task.Run(() =>
        {
            try { client.Connect("dev-1", "key-of-dev-1"); }
            catch (Exception e) when (e is TlsTimeoutException or TlsFatalAlert or IOException) { } // it is meant to fail
        });
        Eventually(() => _net.Server.Statistics.Handshaking == 1, "the stalled handshake never started");
        return client;
    }

    /// <summary>The cookie length of a ClientHello (RFC 6347 §4.2.1), 0 for any other datagram.</summary>
    private static int CookieLength(byte[] datagram)
    {
        // record header 13, handshake header 12, client_version 2, random 32, then session_id and cookie, each length-prefixed.
        const int sessionIdAt = 13 + 12 + 2 + 32;
        if (!DtlsRecordHeader.TryRead(datagram, 0, out var header) || !DtlsRecordHeader.IsClientHello(datagram, header)) return 0;
        if (datagram.Length <= sessionIdAt) return 0;
        int cookieAt = sessionIdAt + 1 + datagram[sessionIdAt];
        return cookieAt < datagram.Length ? datagram[cookieAt] : 0;
    }

    [Fact]
    public void SessionCap_ANewSessionEvictsTheLeastRecentlyActive_AndCountsIt()
    {
        var server = _net.Start(new DtlsServerOptions { MaxSessions = 2, HandshakeTimeout = TimeSpan.FromSeconds(60) });
        var first = Connected(41000);
        var second = Connected(41001);

        var third = Connected(41002);

        Assert.Null(_net.Identity(first.Local));
        Assert.Equal("Device 1", _net.Identity(second.Local));
        Assert.Equal("Device 1", _net.Identity(third.Local));
        Assert.Equal(1, server.Statistics.SessionsEvicted);
        Assert.True(server.Statistics.Sessions <= 2, $"{server.Statistics.Sessions} sessions kept with a cap of 2");
    }

    [Fact]
    public void HandshakeCap_ANewHandshakeEvictsTheOldest_CountedAtOnce_AndTheNewOneIsEstablished()
    {
        // A manual clock: no sweep can time the stalled handshake out, only the cap ends it.
        var server = _net.Start(new DtlsServerOptions { MaxHandshakes = 1, HandshakeTimeout = TimeSpan.FromSeconds(60) }, new ManualTimeProvider());
        var stalled = Stalled(41030);

        var good = _net.NewClient("10.0.0.2", 41031);
        good.Connect("dev-1", "key-of-dev-1");

        // The eviction was counted and its state freed when the good ClientHello arrived, before that handshake ran.
        Assert.Equal(1, server.Statistics.HandshakesFailed(DtlsHandshakeFailure.Evicted));
        Assert.Null(_net.Identity(stalled.Local));
        Eventually(() => _net.Identity(good.Local) == "Device 1" && server.Statistics.Handshaking == 0, "the good client's session was not established");
        Assert.Equal(1, server.Statistics.HandshakesFailedTotal);
        Assert.Equal(1, server.Statistics.HandshakesCompleted);
        Assert.Equal(1, server.Statistics.Sessions);
    }

    [Fact]
    public void HandshakeTimeout_OnTheTransportsClock_FailsTheHandshakeAtOnce_AndFreesItsState()
    {
        var time = new ManualTimeProvider();
        var server = _net.Start(new DtlsServerOptions { HandshakeTimeout = TimeSpan.FromSeconds(60) }, time);
        _ = Stalled(41040);

        time.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(1, server.Statistics.Handshaking);
        Assert.Equal(0, server.Statistics.HandshakesFailedTotal);

        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(1, server.Statistics.HandshakesFailed(DtlsHandshakeFailure.Timeout));
        Assert.Equal(0, server.Statistics.Handshaking);
        Assert.Equal(0, server.Statistics.Sessions);
    }

    [Fact]
    public void IdleSession_IsDroppedAfterTheIdleTimeout_OnTheTransportsClock()
    {
        var time = new ManualTimeProvider();
        var server = _net.Start(new DtlsServerOptions { SessionIdleTimeout = TimeSpan.FromMinutes(10), HandshakeTimeout = TimeSpan.FromSeconds(60) }, time);
        var client = Connected(41010);

        time.Advance(TimeSpan.FromMinutes(9));
        Assert.Equal("Device 1", _net.Identity(client.Local)); // not yet idle long enough
        Assert.Equal(0, server.Statistics.SessionsExpired);

        time.Advance(TimeSpan.FromMinutes(2));
        Assert.Null(_net.Identity(client.Local));
        Assert.Equal(1, server.Statistics.SessionsExpired);
    }

    /// <summary>A server on a manual clock (its sweep runs only when the test advances it) whose log lines are kept.</summary>
    private (DtlsServerTransport Server, ManualTimeProvider Time, Endpoint.ListLogger Log) StartLogged()
    {
        var time = new ManualTimeProvider();
        var log = new Endpoint.ListLogger();
        return (_net.Start(new DtlsServerOptions { HandshakeTimeout = TimeSpan.FromSeconds(60) }, time, log), time, log);
    }

    [Fact]
    public void AStormOfHandshakes_LogsTwentyEstablishedLinesASecond_AndCountsTheRestInOneLine()
    {
        var (server, time, log) = StartLogged();
        int storm = DtlsServerTransport.EstablishedLinesPerSecond + 5;
        for (int i = 0; i < storm; i++) Connected(41100 + i); // all within one second of the transport's clock
        Eventually(() => server.Statistics.HandshakesCompleted == storm, "every handshake completed (and logged or counted)");

        Assert.Equal(DtlsServerTransport.EstablishedLinesPerSecond, log.Entries.Count(e => e.EventId == 151));
        Assert.DoesNotContain(log.Entries, e => e.EventId == 157);

        time.Advance(TimeSpan.FromSeconds(1)); // the sweep reports what was held back
        var heldBack = Assert.Single(log.Entries, e => e.EventId == 157);
        Assert.StartsWith("DTLS: 5 more sessions established", heldBack.Message, StringComparison.Ordinal);

        Connected(41200);
        Eventually(() => log.Entries.Count(e => e.EventId == 151) == DtlsServerTransport.EstablishedLinesPerSecond + 1, "the next session logged one by one again");
    }

    [Fact]
    public void AFloodOfFailedHandshakes_LogsTwentyWarningsASecond_AndCountsTheRestInOneLine()
    {
        var (server, time, log) = StartLogged();
        int flood = DtlsServerTransport.FailureLinesPerSecond + 3;
        for (int i = 0; i < flood; i++)
        {
            var client = _net.NewClient("10.0.0.5", 41300 + i);
            Assert.ThrowsAny<IOException>(() => client.Connect("nobody", "whatever-key"));
        }
        Eventually(() => server.Statistics.HandshakesFailed(DtlsHandshakeFailure.UnknownIdentity) == flood, "every failure counted by reason");

        Assert.Equal(DtlsServerTransport.FailureLinesPerSecond, log.Entries.Count(e => e.EventId == 152));
        time.Advance(TimeSpan.FromSeconds(1));
        var heldBack = Assert.Single(log.Entries, e => e.EventId == 158);
        Assert.StartsWith("DTLS: 3 more handshakes failed", heldBack.Message, StringComparison.Ordinal);
    }

    public void Dispose() => _net.Dispose();
}
