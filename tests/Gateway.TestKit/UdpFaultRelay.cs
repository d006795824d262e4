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
/// <para>Every CoAP datagram's fate is journalled, so a test can tell a request the path lost in every transmission
/// from one the server left unanswered (<see cref="RequestFates"/>).</para>
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
    private readonly ConcurrentQueue<Hop> _journal = new();
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

    /// <summary>
    /// What became of each confirmable request (RFC 7252 §4.2), by client and Message ID: how many copies the client
    /// sent, how many reached the server, how many ACKs or RSTs the server sent back for it and how many of those the
    /// path delivered.
    /// </summary>
    public IReadOnlyList<ConfirmableFate> RequestFates() => Fates(fromClient: true, code => code is > 0 and < 32); // class 0, not Empty

    /// <summary>
    /// Confirmable messages the server sent that are not requests (separate responses, Observe notifications), by client
    /// and Message ID: how many copies the server sent and the path delivered, and how many ACKs or RSTs for them came back.
    /// </summary>
    public IReadOnlyList<ConfirmableFate> ServerConfirmableFates() => Fates(fromClient: false, code => code >= 64); // classes 2-7

    // RFC 7252 §3: a CON (type 0) from one side, matched by Message ID to the ACKs and RSTs (types 2, 3) from the other.
    private List<ConfirmableFate> Fates(bool fromClient, Func<byte, bool> isMessage)
    {
        var fates = new Dictionary<(IPEndPoint, ushort), ConfirmableFate>();
        foreach (var hop in _journal.Where(h => h.Up == fromClient && h.Type == 0 && isMessage(h.Code)))
        {
            var fate = fates.GetValueOrDefault((hop.Client, hop.MessageId), new ConfirmableFate(hop.Client, hop.MessageId, hop.Code, 0, 0, 0, 0));
            fates[(hop.Client, hop.MessageId)] = fate with { Sent = fate.Sent + 1, Reached = fate.Reached + (hop.Dropped ? 0 : 1) };
        }
        foreach (var hop in _journal.Where(h => h.Up != fromClient && h.Type >= 2))
        {
            if (fates.TryGetValue((hop.Client, hop.MessageId), out var fate))
                fates[(hop.Client, hop.MessageId)] = fate with { Answered = fate.Answered + 1, Delivered = fate.Delivered + (hop.Dropped ? 0 : 1) };
        }
        return [.. fates.Values];
    }

    /// <summary>One confirmable message's copies and the answers to them, as the relay saw them ("reached": copies that reached the other side).</summary>
    public sealed record ConfirmableFate(IPEndPoint Client, ushort MessageId, byte Code, int Sent, int Reached, int Answered, int Delivered)
    {
        public override string ToString() => FormattableString.Invariant(
            $"port {Client.Port} MID {MessageId} code {Code >> 5}.{Code & 31:D2}: sent {Sent}, reached {Reached}, answered {Answered}, delivered {Delivered}");
    }

    private readonly record struct Hop(bool Up, IPEndPoint Client, int Type, byte Code, ushort MessageId, bool Dropped);

    private bool Drop(bool up, IPEndPoint client, ReadOnlySpan<byte> datagram)
    {
        bool drop;
        lock (_random) drop = _random.NextDouble() < _loss;
        Interlocked.Increment(ref drop ? ref _dropped : ref _forwarded);
        bool oversized = !drop && datagram.Length > _mesh?.MaxDatagram;
        if (oversized) Interlocked.Increment(ref _oversized);
        // RFC 7252 §3: Ver/T/TKL, Code, Message ID.
        if (datagram.Length >= 4)
            _journal.Enqueue(new Hop(up, client, (datagram[0] >> 4) & 3, datagram[1], (ushort)(datagram[2] << 8 | datagram[3]), drop || oversized));
        return drop || oversized;
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
            if (!Drop(up: true, client, buffer.AsSpan(0, received.ReceivedBytes))) await SendAsync(upstream, buffer.AsMemory(0, received.ReceivedBytes), _server);
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
                if (!Drop(up: false, client, buffer.AsSpan(0, received.ReceivedBytes))) await SendAsync(_front, buffer.AsMemory(0, received.ReceivedBytes), client);
            }
        });
        return socket;
    }

    private async Task SendAsync(Socket socket, ReadOnlyMemory<byte> datagram, IPEndPoint to)
    {
        if (_mesh is { } mesh)
        {
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
