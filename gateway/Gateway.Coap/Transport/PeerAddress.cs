using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Gateway.Coap.Transport;

/// <summary>
/// A peer's transport address as a value: IPv6 address (IPv4 as IPv4-mapped), port and scope id.
/// Built from a <see cref="SocketAddress"/> without allocating, so it can key the deduplication
/// and exchange tables on the receive path; <see cref="SocketAddress"/> is mutable and reused.
/// </summary>
public readonly record struct PeerAddress(UInt128 Address, ushort Port, uint ScopeId)
{
    // Linux sockaddr_in / sockaddr_in6 layouts (SocketAddress.Buffer holds the native form).
    private const int PortOffset = 2, V4AddressOffset = 4, V6AddressOffset = 8, V6ScopeOffset = 24;
    private static readonly UInt128 V4MappedPrefix = (UInt128)0xFFFF << 32;

    public static PeerAddress From(SocketAddress address)
    {
        var bytes = address.Buffer.Span;
        ushort port = BinaryPrimitives.ReadUInt16BigEndian(bytes[PortOffset..]);
        if (address.Family == AddressFamily.InterNetwork)
            return new PeerAddress(V4MappedPrefix | BinaryPrimitives.ReadUInt32BigEndian(bytes[V4AddressOffset..]), port, 0);
        return new PeerAddress(
            BinaryPrimitives.ReadUInt128BigEndian(bytes[V6AddressOffset..]), port,
            BinaryPrimitives.ReadUInt32LittleEndian(bytes[V6ScopeOffset..]));
    }

    public static PeerAddress From(IPEndPoint endPoint) => From(endPoint.Serialize());

    public bool IsIPv4Mapped => Address >> 32 == 0xFFFF;

    public IPEndPoint ToIPEndPoint()
    {
        Span<byte> bytes = stackalloc byte[16];
        BinaryPrimitives.WriteUInt128BigEndian(bytes, Address);
        var ip = new IPAddress(bytes, ScopeId);
        return new IPEndPoint(ip, Port);
    }

    /// <summary>A socket address of the given family to send to (allocates; not for the receive path).</summary>
    public SocketAddress ToSocketAddress(AddressFamily family)
    {
        var endPoint = ToIPEndPoint();
        if (family == AddressFamily.InterNetwork && IsIPv4Mapped)
            endPoint = new IPEndPoint(endPoint.Address.MapToIPv4(), Port);
        return endPoint.Serialize();
    }

    /// <summary>"address:port" (an IPv4-mapped peer as IPv4); recent peers' text is cached per thread (<see cref="PeerAddressText"/>).</summary>
    public override string ToString() => PeerAddressText.Full(this);

    /// <summary>The address without the port, as <see cref="ToIPEndPoint"/>'s address prints; cached like <see cref="ToString"/>.</summary>
    public string AddressToString() => PeerAddressText.Address(this);
}
