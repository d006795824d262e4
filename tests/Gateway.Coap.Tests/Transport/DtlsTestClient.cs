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
    private InMemoryDatagramTransport _socket;

    public DtlsTestClient(InMemoryNetwork network, IPEndPoint local, IPEndPoint server)
    {
        _network = network;
        Local = local;
        Server = server;
        _socket = new InMemoryDatagramTransport(local, network);
    }

    public IPEndPoint Local { get; private set; }

    public IPEndPoint Server { get; }

    public ConcurrentQueue<byte[]> Sent { get; } = new();

    /// <summary>Every datagram routed to this client, in order.</summary>
    public ConcurrentQueue<byte[]> Received { get; } = new();

    public DtlsTransport? Session { get; private set; }

    /// <summary>Delivers what the network routes to this client into its queue (call once per network, from the test).</summary>
    public void Accept(byte[] datagram)
    {
        Received.Enqueue(datagram);
        try { _inbox.Add(datagram); }
        catch (InvalidOperationException) { } // closed: the datagram is lost, as on a closed socket
    }

    /// <param name="connectionId">Offer RFC 9146 connection ids (an empty one of its own: the server's goes on its records).</param>
    public DtlsTransport Connect(string identity, string key, bool connectionId = false) =>
        Session = new DtlsClientProtocol().Connect(new Client(identity, key, connectionId), this);

    /// <summary>A NAT rebinding: from now on this client sends from <paramref name="local"/>; its old address is gone.</summary>
    public void Rebind(IPEndPoint local)
    {
        var old = _socket;
        _socket = new InMemoryDatagramTransport(local, _network);
        Local = local;
        old.Dispose();
    }

    public int GetReceiveLimit() => 2048;

    public int GetSendLimit() => 1232;

    public int Receive(byte[] buf, int off, int len, int waitMillis) => Receive(buf.AsSpan(off, len), waitMillis);

    public int Receive(Span<byte> buffer, int waitMillis)
    {
        if (!_inbox.TryTake(out var datagram, waitMillis))
        {
            // Closed: end a handshake still running in the background now, not at its timeout.
            if (_inbox.IsAddingCompleted) throw new IOException("test client closed");
            return -1;
        }
        datagram.CopyTo(buffer);
        return datagram.Length;
    }

    public void Send(byte[] buf, int off, int len) => Send(buf.AsSpan(off, len));

    public void Send(ReadOnlySpan<byte> buffer)
    {
        Sent.Enqueue(buffer.ToArray());
        _socket.Send(buffer, Server.Serialize());
    }

    public void Close()
    {
        _inbox.CompleteAdding();
        _socket.Dispose();
    }

    private sealed class Client(string identity, string key, bool connectionId)
        : PskTlsClient(new BcTlsCrypto(new SecureRandom()), Encoding.UTF8.GetBytes(identity), Encoding.UTF8.GetBytes(key))
    {
        protected override byte[]? GetNewConnectionID() => connectionId ? [] : null;

        protected override ProtocolVersion[] GetSupportedVersions() => ProtocolVersion.DTLSv12.Only();

        protected override int[] GetSupportedCipherSuites() => [CipherSuite.TLS_PSK_WITH_AES_128_CCM_8];

        // Generous: the test machine may be heavily loaded; a failing handshake fails by alert, not by this timer.
        public override int GetHandshakeTimeoutMillis() => 30000;
    }
}
