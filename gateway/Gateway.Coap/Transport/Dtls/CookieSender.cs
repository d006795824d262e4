using System.Net;
using Org.BouncyCastle.Tls;

namespace Gateway.Coap.Transport.Dtls;

/// <summary>Sends the HelloVerifyRequest of a cookie exchange, and remembers that it did.</summary>
internal sealed class CookieSender(IDatagramTransport socket, SocketAddress to) : DatagramSender
{
    public bool Sent;

    public int GetSendLimit() => 1232;

    public void Send(byte[] buf, int off, int len) => Send(buf.AsSpan(off, len));

    public void Send(ReadOnlySpan<byte> buffer)
    {
        Sent = true;
        socket.Send(buffer, to);
    }
}
