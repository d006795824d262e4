using System.Net;
using System.Net.Sockets;

namespace Gateway.Interop.Tests.Support;

/// <summary>
/// A UDP port that was free a moment ago: bind port 0, read the port, close. Another process may
/// take it before the gateway binds it, so callers retry on a bind failure.
/// </summary>
public static class FreeUdpPort
{
    public static int Next()
    {
        using var socket = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp) { DualMode = true };
        socket.Bind(new IPEndPoint(IPAddress.IPv6Any, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
