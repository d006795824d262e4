using System.Net;

namespace Gateway.Coap.Transport;

/// <summary>
/// The text of the peers a thread named last: a durable request names its peer twice (its deduplication record and
/// the failure limiter's key), and a site's devices are the same few peers again and again, so a receive thread
/// formats each once instead of three objects and a string per request. Per thread and direct-mapped: no lock, and
/// no more than <see cref="Slots"/> entries per thread whatever the number of peers (a colliding peer is formatted
/// again and takes the slot).
/// </summary>
internal static class PeerAddressText
{
    private const int Slots = 64;

    private struct Entry
    {
        public PeerAddress Peer;
        public string? Full;
        public string? Address;
    }

    [ThreadStatic] private static Entry[]? t_entries;

    /// <summary>"address:port" as <see cref="IPEndPoint.ToString"/> gives it (an IPv4-mapped peer as IPv4).</summary>
    public static string Full(PeerAddress peer)
    {
        ref var entry = ref EntryFor(peer);
        return entry.Full ??= Format(peer);
    }

    /// <summary>The address alone as <see cref="IPAddress.ToString"/> gives it for <see cref="PeerAddress.ToIPEndPoint"/>.</summary>
    public static string Address(PeerAddress peer)
    {
        ref var entry = ref EntryFor(peer);
        return entry.Address ??= peer.ToIPEndPoint().Address.ToString();
    }

    private static ref Entry EntryFor(PeerAddress peer)
    {
        var entries = t_entries ??= new Entry[Slots];
        ref var entry = ref entries[peer.GetHashCode() & (Slots - 1)];
        if (entry.Peer != peer) entry = new Entry { Peer = peer };
        return ref entry;
    }

    private static string Format(PeerAddress peer)
    {
        var endPoint = peer.ToIPEndPoint();
        return peer.IsIPv4Mapped ? new IPEndPoint(endPoint.Address.MapToIPv4(), peer.Port).ToString() : endPoint.ToString();
    }
}
