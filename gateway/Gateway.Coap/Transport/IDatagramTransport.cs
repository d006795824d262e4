using System.Net;
using System.Net.Sockets;

namespace Gateway.Coap.Transport;

/// <summary>
/// What the CoAP endpoint needs from a datagram transport (UDP, DTLS, in-memory): receive and
/// send, nothing else. Both calls are synchronous on purpose: the endpoint runs dedicated receive
/// threads, because the blocking path costs a third of the async one per datagram
/// (reference/performance.md §3).
/// </summary>
public interface IDatagramTransport : IDisposable
{
    /// <summary>The family of the addresses this transport reports; size a <see cref="SocketAddress"/> with it.</summary>
    AddressFamily AddressFamily { get; }

    EndPoint LocalEndPoint { get; }

    /// <summary>
    /// Blocks until a datagram arrives, copies it into <paramref name="buffer"/> and writes the
    /// sender into <paramref name="remote"/>. Returns the datagram length, or -1 once the
    /// transport is closed. Safe to call from several threads at once.
    /// </summary>
    int Receive(Span<byte> buffer, SocketAddress remote);

    /// <summary>Sends one datagram. Transient network errors are swallowed (UDP is lossy anyway).</summary>
    void Send(ReadOnlySpan<byte> datagram, SocketAddress remote);
}
