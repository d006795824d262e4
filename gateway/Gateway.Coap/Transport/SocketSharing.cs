using System.Net.Sockets;

namespace Gateway.Coap.Transport;

/// <summary>
/// Linux socket options that let the All-CoAP-Nodes sockets share the CoAP port with the unicast socket without letting
/// group traffic into the unicast path (the hot path stays a plain recvfrom, with no IPV6_PKTINFO to read per datagram).
/// </summary>
internal static class SocketSharing
{
    private const int SolSocket = 1, SoReusePort = 15, IpProtoIp = 0, IpMulticastAll = 49, IpProtoIpv6 = 41, Ipv6MulticastAll = 29;

    /// <summary>SO_REUSEPORT: a group socket may bind the port the unicast socket has (both must set it before binding).</summary>
    public static void AllowPortSharing(Socket socket, bool allow)
    {
        if (OperatingSystem.IsLinux()) socket.SetRawSocketOption(SolSocket, SoReusePort, BitConverter.GetBytes(allow ? 1 : 0));
    }

    /// <summary>
    /// IP_MULTICAST_ALL / IPV6_MULTICAST_ALL off: a socket bound to the wildcard address otherwise receives the datagrams of
    /// every group any socket of the host joined (Linux's default), and would answer a group request as if it were unicast.
    /// </summary>
    public static bool OnlyOwnGroups(Socket socket)
    {
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            var off = BitConverter.GetBytes(0);
            if (socket.AddressFamily == AddressFamily.InterNetworkV6) socket.SetRawSocketOption(IpProtoIpv6, Ipv6MulticastAll, off);
            // A dual-stack socket takes IPv4 datagrams too; the IPv4 option applies to them.
            if (socket.AddressFamily == AddressFamily.InterNetwork || socket.DualMode) socket.SetRawSocketOption(IpProtoIp, IpMulticastAll, off);
            return true;
        }
        catch (SocketException)
        {
            // Kernels before 4.20 lack IPV6_MULTICAST_ALL; there the groups are not joined (see MulticastListener).
            return false;
        }
    }
}
