using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Gateway.Coap.Transport;
using Gateway.Coap.Transport.Dtls;
using Gateway.TestKit;
using Microsoft.Extensions.Logging;

namespace Gateway.Coap.Tests.Transport;

/// <summary>
/// The DTLS server transport on an in-memory network with a BouncyCastle PSK client: the cookie exchange keeps
/// no state for spoofed ClientHellos, and no garbage, truncated or mutated record (mid-handshake or on an
/// established session) gets an exception out of the record path or breaks the good session.
/// </summary>
public sealed class DtlsServerTransportTests : IDisposable
{
    private static readonly IPEndPoint ServerAddress = new(IPAddress.Parse("10.0.0.1"), 5684);
    private readonly InMemoryNetwork _network = new();
    private readonly InMemoryDatagramTransport _serverSocket;
    private readonly DtlsServerTransport _server;
    private readonly DtlsPlaintextReceiver _received;
    private readonly RecordingLogger _log = new();
    private readonly ConcurrentDictionary<IPEndPoint, DtlsTestClient> _clients = new();

    public DtlsServerTransportTests()
    {
        _serverSocket = new InMemoryDatagramTransport(ServerAddress, _network);
        var store = new DtlsTestStore();
        _server = new DtlsServerTransport(_serverSocket, store, options: new DtlsServerOptions { HandshakeTimeout = TimeSpan.FromSeconds(5) }, logger: _log);
        // Datagrams to a client go to its queue; those to the server go on to its socket.
        _network.Filter = (from, to, bytes) =>
        {
            if (_clients.TryGetValue(to, out var client)) { client.Accept(bytes); return false; }
            return true;
        };
        _received = new DtlsPlaintextReceiver(_server);
    }

    private DtlsTestClient NewClient(int port)
    {
        var client = new DtlsTestClient(_network, new IPEndPoint(IPAddress.Parse("10.0.0.2"), port), ServerAddress);
        _clients[client.Local] = client;
        return client;
    }

    /// <summary>A client of dev-1 on <paramref name="port"/> whose session works: its first record, <paramref name="text"/>, reached the server.</summary>
    private (DtlsTestClient Client, Org.BouncyCastle.Tls.DtlsTransport Session) Established(int port, string text)
    {
        var client = NewClient(port);
        var session = client.Connect("dev-1", "key-of-dev-1");
        session.Send(Encoding.UTF8.GetBytes(text));
        Assert.Equal(text, ReceiveText(TimeSpan.FromSeconds(5)));
        return (client, session);
    }

    private string ReceiveText(TimeSpan timeout)
    {
        var received = _received.TryTake(timeout);
        var st = _server.Statistics;
        Assert.True(received is not null, $"the server delivered no plaintext (sessions {st.Sessions}, handshakes {st.HandshakesStarted}/{st.HandshakesCompleted}, closed {st.SessionsClosed}, malformed {st.RecordsMalformed}, discarded {st.RecordsDiscarded}, no session {st.RecordsWithoutSession}, identity {_server.GetSessionIdentity(PeerAddress.From(new IPEndPoint(IPAddress.Parse("10.0.0.2"), 40030)))}; errors {string.Join(" | ", _log.Errors)})");
        return Encoding.UTF8.GetString(received.Value.Data);
    }

    [Fact]
    public void Handshake_WithKnownPsk_DeliversPlaintextWithTheSessionsIdentity()
    {
        var (client, _) = Established(40000, "hello");
        Assert.Equal("Device 1", _server.GetSessionIdentity(PeerAddress.From(client.Local)));
        Assert.Null(_server.GetSessionIdentity(PeerAddress.From(new IPEndPoint(IPAddress.Parse("10.0.0.2"), 40001))));
        Assert.Equal(1, _server.Statistics.HandshakesCompleted);
        Assert.Equal(1, _server.Statistics.CookiesSent); // RFC 6347 §4.2.1: the first ClientHello got a HelloVerifyRequest
    }

    [Fact]
    public void ClientHelloFlood_FromManySources_CreatesNoSessionState_AndAGoodClientStillConnects()
    {
        var probe = NewClient(40010);
        probe.Connect("dev-1", "key-of-dev-1");
        byte[] clientHello = probe.Sent.First(); // the first ClientHello, without a cookie
        long sessionsBefore = _server.Statistics.Sessions, cookiesBefore = _server.Statistics.CookiesSent;

        var from = new System.Net.SocketAddress(System.Net.Sockets.AddressFamily.InterNetwork);
        for (int i = 0; i < 2000; i++)
        {
            var spoofed = new IPEndPoint(new IPAddress([192, 0, 2, (byte)(i % 250 + 1)]), 1024 + i).Serialize();
            spoofed.Buffer.Span.CopyTo(from.Buffer.Span);
            from.Size = spoofed.Size;
            Assert.Equal(-1, _server.Dispatch(clientHello, clientHello.Length, from, new byte[2048], out _));
        }

        Assert.Equal(sessionsBefore, _server.Statistics.Sessions);
        Assert.Equal(1, _server.Statistics.HandshakesStarted);
        Assert.Equal(cookiesBefore + 2000, _server.Statistics.CookiesSent);
        var good = NewClient(40011);
        good.Connect("dev-1", "key-of-dev-1").Send(Encoding.UTF8.GetBytes("still here"));
        Assert.Equal("still here", ReceiveText(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public void UnknownIdentity_FailsTheHandshake_CountedByReason()
    {
        var client = NewClient(40020);
        Assert.ThrowsAny<IOException>(() => client.Connect("nobody", "whatever-key"));

        SpinWait.SpinUntil(() => _server.Statistics.HandshakesFailed(DtlsHandshakeFailure.UnknownIdentity) == 1, TimeSpan.FromSeconds(5));
        Assert.Equal(1, _server.Statistics.HandshakesFailed(DtlsHandshakeFailure.UnknownIdentity));
        SpinWait.SpinUntil(() => _server.Statistics.Sessions == 0, TimeSpan.FromSeconds(5));
        Assert.Equal(0, _server.Statistics.Sessions);
    }

    /// <summary>
    /// Fixed seed: 4000 garbage, truncated and mutated copies of every datagram a real handshake and session sent,
    /// from the session's address (mid-session junk) and from others (mid-handshake junk, fake ClientHellos), fed to
    /// the record path directly. No exception escapes, nothing is logged as an error, and the session still works.
    /// </summary>
    [Fact]
    public void RecordPath_FixedSeedMutations_NoExceptionEscapes_AndTheSessionSurvives()
    {
        var (client, session) = Established(40030, "before");
        var corpus = client.Sent.ToArray();
        var random = new Random(16);
        var plaintext = new byte[2048];
        var sessionAddress = client.Local.Serialize();
        var other = new IPEndPoint(IPAddress.Parse("10.0.0.3"), 40031).Serialize();

        for (int i = 0; i < 4000; i++)
        {
            byte[] datagram = random.Next(10) == 0
                ? [.. Enumerable.Range(0, random.Next(64)).Select(_ => (byte)random.Next(256))]
                : DatagramMutator.Mutate(random, corpus[random.Next(corpus.Length)]);
            // A ClientHello from the session's own address starts a new handshake that replaces the session (RFC 6347
            // §4.2.8; a replayed cookie passes), so those go from another address and exercise the cookie path there.
            bool clientHello = DtlsRecordHeader.TryRead(datagram, 6, out var header) && DtlsRecordHeader.IsClientHello(datagram, header);
            var from = clientHello || random.Next(3) == 0 ? other : sessionAddress;
            var buffer = new byte[Math.Max(datagram.Length, 1)];
            datagram.CopyTo(buffer, 0);
            _server.Dispatch(buffer, datagram.Length, from, plaintext, out _); // throws = the test fails
            Assert.True(_server.Statistics.SessionsClosed == 0, $"mutation {i} ended the session: {Convert.ToHexString(datagram)}");
        }

        // Drain whatever mutated records still decrypted (a replay is discarded; a mutation never authenticates).
        session.Send(Encoding.UTF8.GetBytes("after"));
        string received;
        do received = ReceiveText(TimeSpan.FromSeconds(5));
        while (received != "after");
        Assert.Empty(_log.Errors);
        Assert.True(_server.Statistics.RecordsMalformed > 0 && _server.Statistics.RecordsDiscarded > 0);
    }

    /// <summary>
    /// Each server flight of a PSK handshake leaves as one datagram of whole records (RFC 6347 §4.1.1): the
    /// HelloVerifyRequest, then ServerHello + ServerHelloDone, then ChangeCipherSpec + Finished.
    /// </summary>
    [Fact]
    public void Handshake_SendsEachFlightAsOneDatagramOfWholeRecords()
    {
        var (client, _) = Established(40050, "hello");

        var flights = client.Received.Select(RecordTypes).ToArray();
        const byte ChangeCipherSpec = 20, Handshake = 22;
        Assert.Equal(3, flights.Length);
        Assert.Equal([Handshake], flights[0]);                                          // HelloVerifyRequest
        Assert.Equal([Handshake, Handshake], flights[1]);                               // ServerHello, ServerHelloDone
        Assert.Equal([ChangeCipherSpec, Handshake], flights[2]);                        // ChangeCipherSpec, Finished (epoch 1)
    }

    /// <summary>The content types of the records a datagram holds; fails unless the records fill it exactly.</summary>
    private static byte[] RecordTypes(byte[] datagram)
    {
        var types = new List<byte>();
        int offset = 0;
        while (offset < datagram.Length)
        {
            Assert.True(datagram.Length - offset >= 13, $"a partial record header at {offset} of {datagram.Length}");
            int length = datagram[offset + 11] << 8 | datagram[offset + 12];
            types.Add(datagram[offset]);
            offset += 13 + length;
        }
        Assert.Equal(datagram.Length, offset);
        return [.. types];
    }

    /// <summary>
    /// A record without application data (here a replayed one, discarded by the replay window, RFC 6347 §4.1.2.6) ends
    /// its read at once: the record layer asks for a next datagram once instead of polling for the rest of its wait
    /// (a busy loop of up to 1 ms on the receive thread per such record), and the session goes on.
    /// </summary>
    [Fact]
    public void RecordWithoutApplicationData_EndsItsReadAtOnce_AndTheSessionGoesOn()
    {
        const int Replays = 50;
        var (client, session) = Established(40040, "first");
        var replayed = client.Sent.Last();
        var serverSession = _server.FindSession(PeerAddress.From(client.Local))!;
        long reads = serverSession.ReadsPastDatagram, discarded = _server.Statistics.RecordsDiscarded;

        var plaintext = new byte[2048];
        for (int i = 0; i < Replays; i++)
        {
            var buffer = replayed.ToArray();
            Assert.Equal(-1, _server.Dispatch(buffer, buffer.Length, client.Local.Serialize(), plaintext, out _));
        }

        // At most one read past each datagram (a poll would make hundreds). Not exactly one: the record layer asks again
        // only while its 1 ms wait has not run out by the clock's milliseconds, and a millisecond may turn while the
        // discarded record is processed (BouncyCastle's DtlsRecordLayer.Receive; ~1 run in 20 had 49 of 50).
        Assert.InRange(serverSession.ReadsPastDatagram - reads, Replays / 2, Replays);
        Assert.Equal(Replays, _server.Statistics.RecordsDiscarded - discarded);
        session.Send(Encoding.UTF8.GetBytes("second"));
        Assert.Equal("second", ReceiveText(TimeSpan.FromSeconds(5)));
        Assert.Equal(0, _server.Statistics.SessionsClosed);
        Assert.Empty(_log.Errors);
    }

    /// <summary>
    /// A record whose data is longer than the receive buffer (the endpoint's Coap:MaxMessageSize) is dropped unread and
    /// counted, as a truncated UDP datagram is (RFC 7252 §4.6), never handed on cut short; the session goes on.
    /// </summary>
    [Fact]
    public void Plaintext_LongerThanTheReceiveBuffer_IsDroppedNotCut()
    {
        using var server = new DtlsServerTransport(new InMemoryDatagramTransport(new IPEndPoint(IPAddress.Parse("10.0.0.9"), 5684), _network),
            new DtlsTestStore(), options: new DtlsServerOptions { HandshakeTimeout = TimeSpan.FromSeconds(5) }, logger: _log);
        var small = new DtlsPlaintextReceiver(server, bufferBytes: 1152);
        var client = new DtlsTestClient(_network, new IPEndPoint(IPAddress.Parse("10.0.0.2"), 40060), new IPEndPoint(IPAddress.Parse("10.0.0.9"), 5684));
        _clients[client.Local] = client;
        var session = client.Connect("dev-1", "key-of-dev-1");

        session.Send(new byte[1153]);
        session.Send(Encoding.UTF8.GetBytes("fits"));

        var received = small.TryTake(TimeSpan.FromSeconds(30));
        Assert.Equal("fits", received is { } r ? Encoding.UTF8.GetString(r.Data) : "(nothing)");
        Assert.Equal(1, server.Statistics.RecordsDiscarded);
        Assert.Null(small.TryTake(TimeSpan.FromMilliseconds(200)));
    }

    /// <summary>
    /// Several receive threads on one DTLS transport (<c>Coap:ReceiveThreads</c> above 1), while clients handshake and
    /// send at once: every record's data is handed out once, named by the session that sent it.
    /// </summary>
    [Fact]
    public void TwoReceiveThreads_ConcurrentClients_EachRecordDeliveredOnceFromItsSession()
    {
        // Fewer messages than a handshake's queue holds (DtlsServerOptions.HandshakeQueueLength, 16): a client sends as
        // soon as its own handshake is done, maybe before the server's worker has established the session, and what the
        // queue cannot hold meanwhile is dropped by design (counted as queue_full, checked below).
        const int Clients = 12, Messages = 12;
        var second = new DtlsPlaintextReceiver(_server); // beside the one the constructor started
        var clients = Enumerable.Range(0, Clients).Select(i => NewClient(41000 + i)).ToArray();
        Parallel.ForEach(clients, new ParallelOptions { MaxDegreeOfParallelism = Clients }, client =>
        {
            var session = client.Connect("dev-1", "key-of-dev-1");
            for (int m = 0; m < Messages; m++) session.Send(Encoding.UTF8.GetBytes($"{client.Local.Port}/{m}"));
        });

        var received = new List<(string Text, IPEndPoint From)>();
        var deadline = DateTime.UtcNow + DtlsTestNetwork.Patience;
        while (received.Count < Clients * Messages && DateTime.UtcNow < deadline)
        {
            foreach (var receiver in new[] { _received, second })
            {
                if (receiver.TryTake(TimeSpan.FromMilliseconds(10)) is { } got) received.Add((Encoding.UTF8.GetString(got.Data), got.From));
            }
        }

        Assert.Equal(Clients * Messages, received.Count);
        Assert.Equal(Clients * Messages, received.Select(r => r.Text).Distinct().Count());
        Assert.All(received, r => Assert.StartsWith($"{r.From.Port}/", r.Text, StringComparison.Ordinal));
        Assert.Equal(Clients, _server.Statistics.HandshakesCompleted);
        Assert.Equal(0, _server.Statistics.RecordsQueueFull);
        Assert.Empty(_log.Errors);
    }

    /// <summary>
    /// Data a handshake worker decrypts from its backlog is handed to a receive thread woken by an empty datagram to the
    /// transport's own socket: loopback for a wildcard (IPv4-mapped for the dual-stack <c>::</c>, which reaches the socket
    /// also where IPv6 is off), else the bound address; on a real socket that datagram arrives.
    /// </summary>
    [Theory]
    [InlineData("::", "::ffff:127.0.0.1")]
    [InlineData("0.0.0.0", "127.0.0.1")]
    [InlineData("127.0.0.1", "127.0.0.1")]
    public async Task WakeAddress_ReachesTheSocketItself(string bind, string expected)
    {
        using var socket = new UdpDatagramTransport(new IPEndPoint(IPAddress.Parse(bind), 0), batchSize: 1);
        var local = (IPEndPoint)socket.LocalEndPoint;
        var wake = DtlsServerTransport.WakeAddress(local);
        Assert.Equal(new IPEndPoint(IPAddress.Parse(expected), local.Port).Serialize(), wake);
        socket.Send(ReadOnlySpan<byte>.Empty, wake);
        var buffer = new byte[16];
        var remote = new System.Net.SocketAddress(socket.AddressFamily);
        int length = await Task.Run(() => socket.Receive(buffer, remote)).WaitAsync(TimeSpan.FromSeconds(30)); // a timeout fails the test
        Assert.Equal(0, length);
    }

    public void Dispose()
    {
        foreach (var client in _clients.Values) client.Close();
        _server.Dispose();
    }

    private sealed class RecordingLogger : ILogger
    {
        public ConcurrentQueue<string> Errors { get; } = new();

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel >= LogLevel.Error) Errors.Enqueue(formatter(state, exception) + exception);
        }
    }
}
