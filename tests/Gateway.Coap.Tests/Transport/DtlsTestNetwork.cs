using System.Collections.Concurrent;
using System.Net;
using Gateway.Coap.Transport;
using Gateway.Coap.Transport.Dtls;
using Microsoft.Extensions.Logging;

namespace Gateway.Coap.Tests.Transport;

/// <summary>
/// A DTLS server transport and BouncyCastle test clients on one <see cref="InMemoryNetwork"/>: what the server sends
/// a client goes to that client's queue, what a client sends goes to the server's socket unless
/// <see cref="Drop"/> says the network loses it. Waits are bounded and polled: the machine may be heavily loaded.
/// </summary>
internal sealed class DtlsTestNetwork : IDisposable
{
    public static readonly IPEndPoint ServerAddress = new(IPAddress.Parse("10.0.0.1"), 5684);
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly ConcurrentDictionary<IPEndPoint, DtlsTestClient> _clients = new();

    public DtlsTestNetwork() =>
        Network.Filter = (from, to, bytes) =>
        {
            if (Drop?.Invoke(from, bytes) == true) return false;
            if (_clients.TryGetValue(to, out var client)) { client.Accept(bytes); return false; }
            return true;
        };

    public InMemoryNetwork Network { get; } = new();

    /// <summary>Datagrams (source, bytes) the network loses on the way.</summary>
    public Func<IPEndPoint, byte[], bool>? Drop { get; set; }

    public DtlsServerTransport Server { get; private set; } = null!;

    /// <summary>What the server's receive thread returned (null when a test's endpoint receives instead).</summary>
    public DtlsPlaintextReceiver? Received { get; private set; }

    /// <summary>Starts the server with a thread receiving its plaintext, unless <paramref name="withReceiver"/> is false (an endpoint's threads will).</summary>
    public DtlsServerTransport Start(DtlsServerOptions options, TimeProvider? time = null, ILogger? logger = null, bool withReceiver = true)
    {
        Server = new DtlsServerTransport(new InMemoryDatagramTransport(ServerAddress, Network), new DtlsTestStore(), options: options,
            timeProvider: time, logger: logger);
        if (withReceiver) Received = new DtlsPlaintextReceiver(Server);
        return Server;
    }

    public DtlsTestClient NewClient(string address, int port)
    {
        var client = new DtlsTestClient(Network, new IPEndPoint(IPAddress.Parse(address), port), ServerAddress);
        _clients[client.Local] = client;
        return client;
    }

    /// <summary>A NAT rebinding: the client sends from <paramref name="to"/> from now on; its old address is unreachable.</summary>
    public void Move(DtlsTestClient client, IPEndPoint to)
    {
        _clients.TryRemove(client.Local, out _);
        _clients[to] = client;
        client.Rebind(to);
    }

    /// <summary>The device of the established session the CoAP layer knows as <paramref name="peer"/>.</summary>
    public string? Identity(IPEndPoint peer) => Server.GetSessionIdentity(PeerAddress.From(peer));

    public static void Eventually(Func<bool> condition, string what) => Assert.True(SpinWait.SpinUntil(condition, Patience), what);

    public void Dispose()
    {
        foreach (var client in _clients.Values) client.Close();
        Server?.Dispose();
    }
}
