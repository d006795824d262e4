using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Gateway.TestKit;

/// <summary>
/// A faulty TCP path between a client (the gateway) and a server (mosquitto), reliability.md §3.3 (netem is missing
/// here). Clients connect to <see cref="EndPoint"/>; every accepted connection gets its own upstream connection.
/// <see cref="Mode"/> says what the link does from now on, to open and new connections alike:
/// <list type="bullet">
/// <item><see cref="TcpFaultMode.Pass"/>: forwards both ways (what a stall held back is sent first).</item>
/// <item><see cref="TcpFaultMode.Stall"/>: forwards nothing either way and closes nothing; bytes are held until Pass.</item>
/// <item><see cref="TcpFaultMode.BlackHole"/>: accepts, then drops every byte either way; new connections get no upstream.</item>
/// <item><see cref="TcpFaultMode.Refuse"/>: new connections are reset at once (the broker host is down).</item>
/// </list>
/// <see cref="Cut"/> resets every open connection on both sides. The proxy reads what the client sends in every mode,
/// so it sees the moment the client gives a connection up (<see cref="Connection.ClientClosedAt"/>): the time the
/// client took to declare a stalled link dead. Times are offsets on the proxy's own clock (<see cref="Now"/>).
/// </summary>
public sealed class TcpFaultProxy : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly IPEndPoint _server;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly List<Connection> _connections = [];
    private readonly CancellationTokenSource _stop = new();
    private volatile TcpFaultMode _mode;

    public TcpFaultProxy(IPEndPoint server)
    {
        _server = server;
        _listener.Start();
        EndPoint = (IPEndPoint)_listener.LocalEndpoint;
        _ = Task.Run(AcceptAsync);
    }

    public IPEndPoint EndPoint { get; }

    public TimeSpan Now => _clock.Elapsed;

    public TcpFaultMode Mode
    {
        get => _mode;
        set
        {
            _mode = value;
            if (value == TcpFaultMode.Pass)
                foreach (var connection in Connections) _ = connection.ResumeAsync();
        }
    }

    /// <summary>Every connection accepted so far (reconnect attempts included), oldest first.</summary>
    public IReadOnlyList<Connection> Connections
    {
        get { lock (_connections) return [.. _connections]; }
    }

    /// <summary>Resets (RST) every open connection on both sides, as a NAT box that lost its table or a pulled cable.</summary>
    public void Cut()
    {
        foreach (var connection in Connections) connection.Reset();
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        Cut();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            var mode = _mode;
            var connection = new Connection(this, client, Now, mode);
            lock (_connections) _connections.Add(connection);
            if (mode == TcpFaultMode.Refuse)
            {
                connection.Reset();
                continue;
            }
            _ = Task.Run(() => connection.RunAsync(mode == TcpFaultMode.BlackHole ? null : _server));
        }
    }

    /// <summary>One client connection and its upstream.</summary>
    public sealed class Connection
    {
        private readonly TcpFaultProxy _proxy;
        private readonly Socket _client;
        private readonly Direction _up, _down;
        private Socket? _upstream;
        private long _closedAt = -1;
        private volatile bool _upstreamGone;
        private volatile bool _reset;

        internal Connection(TcpFaultProxy proxy, Socket client, TimeSpan acceptedAt, TcpFaultMode modeAtAccept)
        {
            _proxy = proxy;
            _client = client;
            AcceptedAt = acceptedAt;
            ModeAtAccept = modeAtAccept;
            _up = new Direction();
            _down = new Direction();
        }

        public TimeSpan AcceptedAt { get; }

        public TcpFaultMode ModeAtAccept { get; }

        /// <summary>Bytes the server sent that reached the client (a CONNACK, for MQTT: the connection was established).</summary>
        public long BytesToClient => Interlocked.Read(ref _down.Forwarded);

        /// <summary>When the client closed or reset the connection (not the proxy's own <see cref="Reset"/>); null while open.</summary>
        public TimeSpan? ClientClosedAt => Interlocked.Read(ref _closedAt) is >= 0 and var ticks ? TimeSpan.FromTicks(ticks) : null;

        public bool IsOpen => ClientClosedAt is null && !_reset;

        internal async Task RunAsync(IPEndPoint? server)
        {
            if (server is not null)
            {
                var upstream = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await upstream.ConnectAsync(server);
                    _upstream = upstream;
                }
                catch (SocketException)
                {
                    upstream.Dispose();
                    Reset();
                    return;
                }
            }
            else
            {
                _upstreamGone = true;
            }
            var down = _upstream is null ? Task.CompletedTask : PumpDownAsync(_upstream);
            await PumpUpAsync();
            await down;
        }

        /// <summary>Client → server. Runs in every mode, so the client's close is seen even on a stalled link.</summary>
        private async Task PumpUpAsync()
        {
            var buffer = new byte[16 * 1024];
            while (true)
            {
                int read = await ReceiveAsync(_client, buffer);
                if (read == 0)
                {
                    if (!_reset) Interlocked.CompareExchange(ref _closedAt, _proxy.Now.Ticks, -1);
                    Close(_upstream);
                    return;
                }
                if (_upstream is { } upstream) await _up.OfferAsync(_proxy.Mode, buffer.AsMemory(0, read), upstream);
            }
        }

        /// <summary>Server → client. A server close reaches the client only while the link passes traffic.</summary>
        private async Task PumpDownAsync(Socket upstream)
        {
            var buffer = new byte[16 * 1024];
            while (true)
            {
                int read = await ReceiveAsync(upstream, buffer);
                if (read == 0)
                {
                    _upstreamGone = true;
                    if (_proxy.Mode == TcpFaultMode.Pass) Reset();
                    return;
                }
                await _down.OfferAsync(_proxy.Mode, buffer.AsMemory(0, read), _client);
            }
        }

        internal async Task ResumeAsync()
        {
            if (_upstream is { } upstream) await _up.FlushAsync(upstream);
            await _down.FlushAsync(_client);
            if (_upstreamGone && IsOpen) Reset();
        }

        internal void Reset()
        {
            _reset = true;
            foreach (var socket in new[] { _client, _upstream })
            {
                if (socket is null) continue;
                try
                {
                    socket.LingerState = new LingerOption(true, 0); // close now sends RST
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                    // Already closed.
                }
                socket.Dispose();
            }
        }

        /// <summary>What the socket received; 0 for end of stream, reset or a socket closed here.</summary>
        private static async Task<int> ReceiveAsync(Socket socket, byte[] buffer)
        {
            try
            {
                return await socket.ReceiveAsync(buffer);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return 0;
            }
        }

        private static void Close(Socket? socket)
        {
            try
            {
                socket?.Shutdown(SocketShutdown.Both);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // Already gone.
            }
            socket?.Dispose();
        }
    }

    /// <summary>One direction of a connection: forwards, holds (stall) or drops (black hole) what it is offered.</summary>
    private sealed class Direction
    {
        private readonly SemaphoreSlim _gate = new(1, 1);
        private readonly List<byte[]> _held = [];
        public long Forwarded;

        public async Task OfferAsync(TcpFaultMode mode, ReadOnlyMemory<byte> data, Socket to)
        {
            await _gate.WaitAsync();
            try
            {
                switch (mode)
                {
                    case TcpFaultMode.Stall:
                        _held.Add(data.ToArray());
                        break;
                    case TcpFaultMode.Pass:
                        await SendHeldAsync(to);
                        await SendAsync(to, data);
                        break;
                    default:
                        break; // black hole (or refuse, for connections that were open): dropped
                }
            }
            finally
            {
                _gate.Release();
            }
        }

        public async Task FlushAsync(Socket to)
        {
            await _gate.WaitAsync();
            try
            {
                await SendHeldAsync(to);
            }
            finally
            {
                _gate.Release();
            }
        }

        private async Task SendHeldAsync(Socket to)
        {
            foreach (var chunk in _held) await SendAsync(to, chunk);
            _held.Clear();
        }

        private async Task SendAsync(Socket to, ReadOnlyMemory<byte> data)
        {
            try
            {
                await to.SendAsync(data);
                Interlocked.Add(ref Forwarded, data.Length);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // The other side is gone; the pump on that side ends the connection.
            }
        }
    }
}
