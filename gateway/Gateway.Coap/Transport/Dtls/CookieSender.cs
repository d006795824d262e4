using System.Net;
using Org.BouncyCastle.Tls;

namespace Gateway.Coap.Transport.Dtls;

/// <summary>
/// Sends the HelloVerifyRequest of a cookie exchange, and remembers that it did. Its limit is the sessions' own
/// (<see cref="DtlsServerOptions.MaxDatagramSize"/>, RFC 6347 §4.1.1.1).
/// </summary>
internal sealed class CookieSender(IDatagramTransport socket, SocketAddress to, int sendLimit) : DatagramSender
{
    public bool Sent;

    public int GetSendLimit() => sendLimit;

    public void Send(byte[] buf, int off, int len) => Send(buf.AsSpan(off, len));

    public void Send(ReadOnlySpan<byte> buffer)
    {
        Sent = true;
        socket.Send(buffer, to);
    }
}
