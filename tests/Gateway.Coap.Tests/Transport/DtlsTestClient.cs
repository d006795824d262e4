using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Gateway.Coap.Transport;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;

namespace Gateway.Coap.Tests.Transport;

/// <summary>
/// A BouncyCastle DTLS 1.2 PSK client on an <see cref="InMemoryNetwork"/>: what it sends is routed to the
/// server's in-memory socket and recorded (the fuzz corpus); what the server sends it is queued for it.
/// </summary>
internal sealed class DtlsTestClient : DatagramTransport
{
    private readonly InMemoryNetwork _network;
    private readonly BlockingCollection<byte[]> _inbox = new();
    private readonly InMemoryDatagramTransport _socket;

    public DtlsTestClient(InMemoryNetwork network, IPEndPoint local, IPEndPoint server)
    {
        _network = network;
        Local = local;
        Server = server;
        _socket = new InMemoryDatagramTransport(local, network);
    }

    public IPEndPoint Local { get; }

    public IPEndPoint Server { get; }

    public ConcurrentQueue<byte[]> Sent { get; } = new();

    public DtlsTransport? Session { get; private set; }

    /// <summary>Delivers what the network routes to this client into its queue (call once per network, from the test).</summary>
    public void Accept(byte[] datagram) => _inbox.Add(datagram);

    public DtlsTransport Connect(string identity, string key) =>
        Session = new DtlsClientProtocol().Connect(new Client(identity, key), this);

    public int GetReceiveLimit() => 2048;

    public int GetSendLimit() => 1232;

    public int Receive(byte[] buf, int off, int len, int waitMillis) => Receive(buf.AsSpan(off, len), waitMillis);

    public int Receive(Span<byte> buffer, int waitMillis)
    {
        if (!_inbox.TryTake(out var datagram, waitMillis)) return -1;
        datagram.CopyTo(buffer);
        return datagram.Length;
    }

    public void Send(byte[] buf, int off, int len) => Send(buf.AsSpan(off, len));

    public void Send(ReadOnlySpan<byte> buffer)
    {
        Sent.Enqueue(buffer.ToArray());
        _socket.Send(buffer, Server.Serialize());
    }

    public void Close() => _socket.Dispose();

    private sealed class Client(string identity, string key)
        : PskTlsClient(new BcTlsCrypto(new SecureRandom()), Encoding.UTF8.GetBytes(identity), Encoding.UTF8.GetBytes(key))
    {
        protected override ProtocolVersion[] GetSupportedVersions() => ProtocolVersion.DTLSv12.Only();

        protected override int[] GetSupportedCipherSuites() => [CipherSuite.TLS_PSK_WITH_AES_128_CCM_8];

        public override int GetHandshakeTimeoutMillis() => 5000;
    }
}
