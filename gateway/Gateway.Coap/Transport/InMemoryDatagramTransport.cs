using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Gateway.Coap.Transport;

/// <summary>
/// A transport with no sockets, for scripted protocol tests: datagrams are delivered by
/// <see cref="Deliver"/> (or by a peer on the same <see cref="InMemoryNetwork"/>) and what the
/// endpoint sends is queued for <see cref="TryTakeSent"/>.
/// </summary>
public sealed class InMemoryDatagramTransport : IDatagramTransport
{
    private readonly BlockingCollection<(byte[] Datagram, IPEndPoint From)> _inbox = new();
    private readonly BlockingCollection<(byte[] Datagram, IPEndPoint To)> _sent = new();
    private readonly InMemoryNetwork? _network;

    public InMemoryDatagramTransport(IPEndPoint local, InMemoryNetwork? network = null)
    {
        LocalEndPoint = local;
        _network = network;
        network?.Attach(this);
    }

    public AddressFamily AddressFamily => ((IPEndPoint)LocalEndPoint).AddressFamily;

    public EndPoint LocalEndPoint { get; }

    /// <summary>Queues a datagram as if it had arrived from <paramref name="from"/>.</summary>
    public void Deliver(ReadOnlySpan<byte> datagram, IPEndPoint from)
    {
        if (!_inbox.IsAddingCompleted) _inbox.Add((datagram.ToArray(), from));
    }

    /// <summary>Takes the next datagram the endpoint sent, waiting up to <paramref name="timeout"/>.</summary>
    public bool TryTakeSent(out byte[] datagram, out IPEndPoint to, TimeSpan timeout)
    {
        if (_sent.TryTake(out var item, timeout))
        {
            (datagram, to) = item;
            return true;
        }
        (datagram, to) = (Array.Empty<byte>(), new IPEndPoint(IPAddress.None, 0));
        return false;
    }

    public int SentCount => _sent.Count;

    public int Receive(Span<byte> buffer, SocketAddress remote)
    {
        try
        {
            var (datagram, from) = _inbox.Take();
            int length = Math.Min(datagram.Length, buffer.Length);
            datagram.AsSpan(0, length).CopyTo(buffer);
            var address = from.Serialize();
            address.Buffer.Span.CopyTo(remote.Buffer.Span);
            remote.Size = address.Size;
            return length;
        }
        catch (InvalidOperationException)
        {
            return -1; // completed: the transport was disposed
        }
    }

    public void Send(ReadOnlySpan<byte> datagram, SocketAddress remote)
    {
        var template = remote.Family == AddressFamily.InterNetwork ? new IPEndPoint(IPAddress.Any, 0) : new IPEndPoint(IPAddress.IPv6Any, 0);
        var to = (IPEndPoint)template.Create(remote);
        if (_network is not null && _network.TryRoute(datagram, (IPEndPoint)LocalEndPoint, to)) return;
        if (!_sent.IsAddingCompleted) _sent.Add((datagram.ToArray(), to));
    }

    public void Dispose()
    {
        _inbox.CompleteAdding();
        _sent.CompleteAdding();
        _network?.Detach(this);
    }
}
