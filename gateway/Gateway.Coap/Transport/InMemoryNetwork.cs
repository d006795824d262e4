using System.Collections.Concurrent;
using System.Net;

namespace Gateway.Coap.Transport;

/// <summary>Connects in-memory transports by local end point, with an optional loss filter for tests.</summary>
public sealed class InMemoryNetwork
{
    private readonly ConcurrentDictionary<IPEndPoint, InMemoryDatagramTransport> _transports = new();

    /// <summary>Return false to drop a datagram (from, to, bytes): scripted loss.</summary>
    public Func<IPEndPoint, IPEndPoint, byte[], bool>? Filter { get; set; }

    internal void Attach(InMemoryDatagramTransport transport) => _transports[(IPEndPoint)transport.LocalEndPoint] = transport;

    internal void Detach(InMemoryDatagramTransport transport) => _transports.TryRemove((IPEndPoint)transport.LocalEndPoint, out _);

    internal bool TryRoute(ReadOnlySpan<byte> datagram, IPEndPoint from, IPEndPoint to)
    {
        var key = Normalize(to);
        if (!_transports.TryGetValue(key, out var target)) return false;
        var bytes = datagram.ToArray();
        if (Filter is { } filter && !filter(from, key, bytes)) return true;
        target.Deliver(bytes, from);
        return true;
    }

    private static IPEndPoint Normalize(IPEndPoint endPoint) =>
        endPoint.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(endPoint.Address.MapToIPv4(), endPoint.Port) : endPoint;
}
