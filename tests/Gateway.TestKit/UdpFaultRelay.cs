using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Gateway.TestKit;

/// <summary>
/// A lossy UDP path for tests (netem is not available here, reliability.md §5): clients send to
/// <see cref="EndPoint"/>, each client gets its own upstream socket (so the server sees distinct
/// peers), and every datagram in either direction is dropped with probability
/// <paramref name="lossPerDirection"/>, decided by a fixed-seed generator. Loopback, IPv4.
/// <para>As a 6LoWPAN mesh (issue 17): a datagram larger than <see cref="MeshLink.MaxDatagram"/> is dropped (an 802.15.4
/// frame carries 127 bytes; counted in <see cref="Oversized"/>) and every datagram is delayed by a random time in the
/// link's range, independently, so datagrams may overtake each other as on a multi-hop path.</para>
/// </summary>
public sealed class UdpFaultRelay : IDisposable
{
    private readonly Socket _front = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly IPEndPoint _server;
    private readonly double _loss;
    private readonly Random _random;
    private readonly ConcurrentDictionary<IPEndPoint, Socket> _upstream = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly MeshLink? _mesh;
    private long _forwarded, _dropped, _oversized;

    /// <summary>A slow, small-frame link: datagrams above <paramref name="MaxDatagram"/> bytes are dropped, each one waits MinDelay..MaxDelay.</summary>
    public sealed record MeshLink(int MaxDatagram, TimeSpan MinDelay, TimeSpan MaxDelay);

    public UdpFaultRelay(IPEndPoint server, double lossPerDirection, int seed, MeshLink? mesh = null)
    {
        _server = server;
        _mesh = mesh;
        _loss = lossPerDirection;
        _random = new Random(seed);
        _front.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        EndPoint = (IPEndPoint)_front.LocalEndPoint!;
        _ = Task.Run(ForwardUpAsync);
    }

    public IPEndPoint EndPoint { get; }

    public long Forwarded => Interlocked.Read(ref _forwarded);

    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Datagrams dropped because they were larger than the mesh link's frame.</summary>
    public long Oversized => Interlocked.Read(ref _oversized);

    private bool Drop()
    {
        bool drop;
        lock (_random) drop = _random.NextDouble() < _loss;
        Interlocked.Increment(ref drop ? ref _dropped : ref _forwarded);
        return drop;
    }

    private async Task ForwardUpAsync()
    {
        var buffer = new byte[65536];
        while (!_stop.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try { received = await _front.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0), _stop.Token); }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException) { return; }
            var client = (IPEndPoint)received.RemoteEndPoint;
            var upstream = _upstream.GetOrAdd(client, Open);
            if (!Drop()) await SendAsync(upstream, buffer.AsMemory(0, received.ReceivedBytes), _server);
        }
    }

    private Socket Open(IPEndPoint client)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _ = Task.Run(async () =>
        {
            var buffer = new byte[65536];
            while (!_stop.IsCancellationRequested)
            {
                SocketReceiveFromResult received;
                try { received = await socket.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0), _stop.Token); }
                catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException) { return; }
                if (!Drop()) await SendAsync(_front, buffer.AsMemory(0, received.ReceivedBytes), client);
            }
        });
        return socket;
    }

    private async Task SendAsync(Socket socket, ReadOnlyMemory<byte> datagram, IPEndPoint to)
    {
        if (_mesh is { } mesh)
        {
            if (datagram.Length > mesh.MaxDatagram)
            {
                Interlocked.Increment(ref _oversized);
                return;
            }
            TimeSpan delay;
            lock (_random) delay = mesh.MinDelay + (mesh.MaxDelay - mesh.MinDelay) * _random.NextDouble();
            var copy = datagram.ToArray(); // the receive buffer is reused before the delay is over
            _ = Task.Run(async () =>
            {
                try
                {
                    await Task.Delay(delay, _stop.Token);
                    await socket.SendToAsync(copy, to);
                }
                catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException) { }
            });
            return;
        }
        try { await socket.SendToAsync(datagram, to); }
        catch (Exception e) when (e is ObjectDisposedException or SocketException) { }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _front.Dispose();
        foreach (var socket in _upstream.Values) socket.Dispose();
        _stop.Dispose();
    }
}
