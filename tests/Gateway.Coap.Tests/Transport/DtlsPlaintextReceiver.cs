using System.Collections.Concurrent;
using System.Net;
using Gateway.Coap.Transport.Dtls;

namespace Gateway.Coap.Tests.Transport;

/// <summary>
/// What an endpoint's receive thread does, for transport tests without an endpoint: a thread calls
/// <see cref="DtlsServerTransport.Receive"/> until the transport closes (which is also what drives its handshakes) and
/// keeps the plaintexts it returns, with the sender it names.
/// </summary>
internal sealed class DtlsPlaintextReceiver
{
    private readonly BlockingCollection<(byte[] Data, IPEndPoint From)> _received = new();

    /// <param name="bufferBytes">the receive buffer, as an endpoint's is <c>Coap:MaxMessageSize</c>.</param>
    public DtlsPlaintextReceiver(DtlsServerTransport server, int bufferBytes = 2048)
    {
        var thread = new Thread(() =>
        {
            var buffer = new byte[bufferBytes];
            var remote = new SocketAddress(server.AddressFamily);
            int length;
            while ((length = server.Receive(buffer, remote)) >= 0)
            {
                _received.Add((buffer.AsSpan(0, length).ToArray(), (IPEndPoint)new IPEndPoint(IPAddress.Any, 0).Create(remote)));
            }
            _received.CompleteAdding();
        }) { IsBackground = true, Name = "test-dtls-rx" };
        thread.Start();
    }

    /// <summary>The next plaintext and its sender, or null if none came within <paramref name="timeout"/>.</summary>
    public (byte[] Data, IPEndPoint From)? TryTake(TimeSpan timeout)
    {
        try
        {
            return _received.TryTake(out var item, timeout) ? item : null;
        }
        catch (InvalidOperationException)
        {
            return null; // the transport closed
        }
    }
}
