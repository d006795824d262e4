using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Gateway.Coap.Transport.Linux;

namespace Gateway.Coap.Transport;

/// <summary>
/// CoAP over UDP on one socket. Binding to <c>::</c> gives a dual-stack socket: IPv4 peers appear
/// as IPv4-mapped IPv6 addresses and IPv6 link-local peers keep their scope id.
/// <para>On Linux a receive thread takes up to <see cref="BatchSize"/> datagrams per <c>recvmmsg</c> and sends the
/// answers it produced meanwhile with one <c>sendmmsg</c>; elsewhere (or with a batch size of 1) each datagram is one
/// <c>recvfrom</c> and each answer one <c>sendto</c>. Under dense traffic the Linux thread polls for up to
/// <see cref="BusyPollBudget"/> before it sleeps (<see cref="BusyPoll"/>).</para>
/// </summary>
public sealed class UdpDatagramTransport : IBatchingDatagramTransport
{
    /// <summary>Datagrams per system call on Linux unless configured: enough to drain a burst of 256 peers in a few calls.</summary>
    public const int DefaultBatchSize = 32;

    /// <summary>The default <see cref="BusyPollBudget"/>: a little more than a sleeping thread's wake-up takes to its next datagram here.</summary>
    public static readonly TimeSpan DefaultBusyPoll = TimeSpan.FromMicroseconds(100);

    // The receive thread's batch (its answers queue there while it holds more than one datagram) and the transport it serves.
    [ThreadStatic] private static DatagramBatch? t_batch;
    [ThreadStatic] private static bool t_queueAnswers;
    [ThreadStatic] private static UdpDatagramTransport? t_answersFor;

    private readonly Socket _socket;
    private readonly AnswerScope? _answerScope;
    private DatagramBatch? _answerBatch; // null while a thread holds it (CoalesceAnswers)
    private volatile bool _answerBatchMade;
    private volatile bool _closed;

    /// <param name="shareWithGroups">
    /// The All-CoAP-Nodes sockets (<see cref="Multicast.MulticastListener"/>) will bind this port: the port is open to
    /// them until <see cref="CloseToSharing"/>.
    /// </param>
    /// <param name="batchSize">datagrams per recvmmsg/sendmmsg on Linux; 1 = the portable path, one system call per datagram.</param>
    /// <param name="busyPoll">the longest a batching receive thread polls before it sleeps; zero = never (null = the default).</param>
    public UdpDatagramTransport(IPEndPoint bind, int receiveBufferBytes = 4 * 1024 * 1024, bool shareWithGroups = false, int batchSize = DefaultBatchSize,
        TimeSpan? busyPoll = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        BatchSize = OperatingSystem.IsLinux() ? batchSize : 1;
        BusyPollBudget = busyPoll ?? DefaultBusyPoll;
        ArgumentOutOfRangeException.ThrowIfLessThan(BusyPollBudget, TimeSpan.Zero, nameof(busyPoll));
        _socket = new Socket(bind.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            if (bind.AddressFamily == AddressFamily.InterNetworkV6 && bind.Address.Equals(IPAddress.IPv6Any))
                _socket.DualMode = true;
            // A large receive buffer absorbs bursts; libcoap drops datagrams at N = 256 without one
            // (reference/performance.md §3, point 3). The kernel clamps it to net.core.rmem_max.
            _socket.ReceiveBufferSize = receiveBufferBytes;
            if (shareWithGroups) SocketSharing.AllowPortSharing(_socket, true);
            _socket.Bind(bind);
            ExcludesGroupTraffic = SocketSharing.OnlyOwnGroups(_socket);
        }
        catch
        {
            _socket.Dispose();
            throw;
        }
        LocalEndPoint = _socket.LocalEndPoint!;
        if (BatchSize > 1) _answerScope = new AnswerScope(this);
    }

    public AddressFamily AddressFamily => _socket.AddressFamily;

    /// <summary>Datagrams per system call; 1 when the portable path is used.</summary>
    public int BatchSize { get; }

    /// <summary>The longest a batching receive thread polls for its next datagram before it sleeps.</summary>
    public TimeSpan BusyPollBudget { get; }

    /// <summary>Datagrams to groups this socket did not join never reach it, so group sockets may join next to it.</summary>
    public bool ExcludesGroupTraffic { get; }

    public EndPoint LocalEndPoint { get; }

    /// <summary>
    /// The group sockets are bound: from now on no other socket (another gateway on the same port, say) may share the port,
    /// which would split the unicast traffic between them (SO_REUSEPORT is checked when the other socket binds).
    /// </summary>
    public void CloseToSharing() => SocketSharing.AllowPortSharing(_socket, false);

    public int Receive(Span<byte> buffer, SocketAddress remote)
    {
        while (!_closed)
        {
            try
            {
                return _socket.ReceiveFrom(buffer, SocketFlags.None, remote);
            }
            catch (SocketException e) when (!_closed && IsTransient(e.SocketErrorCode))
            {
                // ICMP errors from earlier sends, or a datagram larger than the buffer: skip it.
            }
            catch (SocketException) { return -1; }
            catch (ObjectDisposedException) { return -1; }
        }
        return -1;
    }

    DatagramBatch? IBatchingDatagramTransport.CreateBatch(int maxDatagramBytes) =>
        BatchSize > 1 ? new DatagramBatch(BatchSize, maxDatagramBytes, new BusyPoll((long)(BusyPollBudget.TotalSeconds * Stopwatch.Frequency))) : null;

    int IBatchingDatagramTransport.ReceiveBatch(DatagramBatch batch)
    {
        bool added = false;
        try
        {
            int socket = AddRefDescriptor(ref added);
            if (batch.Queued > 0) batch.Send(socket);
            t_answersFor = this;
            t_batch = batch;
            long started = Stopwatch.GetTimestamp();
            while (!_closed)
            {
                int count = batch.Receive(socket, wait: !batch.Poll.Polls(Stopwatch.GetTimestamp() - started), out int errno);
                if (_closed) break;
                if (count > 0)
                {
                    batch.Poll.Arrived(Stopwatch.GetTimestamp() - started);
                    // One datagram: its answer goes out at once with sendto, as sendmmsg would have carried it alone anyway.
                    t_queueAnswers = count > 1;
                    return count;
                }
                // Interrupted, or an ICMP error from an earlier send reported here: receive again.
                if (count < 0 && errno is not (LinuxSockets.Eintr or LinuxSockets.Eagain or LinuxSockets.Econnrefused
                    or LinuxSockets.Ehostunreach or LinuxSockets.Enetunreach)) break;
            }
        }
        catch (ObjectDisposedException) { }
        finally
        {
            if (added) _socket.SafeHandle.DangerousRelease();
        }
        t_batch = null;
        t_queueAnswers = false;
        t_answersFor = null;
        return -1;
    }

    void IBatchingDatagramTransport.SendQueued()
    {
        if (t_batch is { Queued: > 0 } batch && ReferenceEquals(t_answersFor, this)) SendBatch(batch);
    }

    /// <summary>Sends what <paramref name="batch"/> holds; false once the transport is closed.</summary>
    private bool SendBatch(DatagramBatch batch)
    {
        if (_closed) return false;
        bool added = false;
        try
        {
            batch.Send(AddRefDescriptor(ref added));
            return true;
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
        finally
        {
            if (added) _socket.SafeHandle.DangerousRelease();
        }
    }

    /// <summary>
    /// The socket's descriptor for a native call. Holding a reference keeps the number from being closed (and reused)
    /// during the call; Dispose's shutdown still wakes a blocked call. The caller releases it when <paramref name="added"/>.
    /// </summary>
    private int AddRefDescriptor(ref bool added)
    {
        _socket.SafeHandle.DangerousAddRef(ref added);
        return (int)_socket.SafeHandle.DangerousGetHandle();
    }

    IDisposable? IBatchingDatagramTransport.CoalesceAnswers(int maxDatagramBytes)
    {
        if (_answerScope is null || t_batch is not null || _closed) return null;
        if (!_answerBatchMade)
        {
            lock (_answerScope)
            {
                if (!_answerBatchMade) _answerBatch = new DatagramBatch(BatchSize, maxDatagramBytes, new BusyPoll(0));
                _answerBatchMade = true;
            }
        }
        // One thread at a time holds the batch; another one meanwhile sends at once.
        if (Interlocked.Exchange(ref _answerBatch, null) is not { } batch) return null;
        t_batch = batch;
        t_answersFor = this;
        t_queueAnswers = true;
        return _answerScope;
    }

    /// <summary>Ends <see cref="IBatchingDatagramTransport.CoalesceAnswers"/> on the thread that began it: sends what it queued.</summary>
    private sealed class AnswerScope(UdpDatagramTransport transport) : IDisposable
    {
        public void Dispose()
        {
            if (t_batch is not { } batch || !ReferenceEquals(t_answersFor, transport)) return;
            if (batch.Queued > 0) transport.SendBatch(batch);
            t_batch = null;
            t_answersFor = null;
            t_queueAnswers = false;
            Volatile.Write(ref transport._answerBatch, batch);
            // Closed while this thread held it: the close found no batch to free, so it is freed here.
            if (transport._closed) Interlocked.Exchange(ref transport._answerBatch, null)?.Dispose();
        }
    }

    public void Send(ReadOnlySpan<byte> datagram, SocketAddress remote)
    {
        if (_closed) return;
        // On a receive thread in the middle of a batch: the answer leaves with the batch's sendmmsg.
        if (t_batch is { } batch && ReferenceEquals(t_answersFor, this))
        {
            batch.Poll.Answered();
            if (t_queueAnswers && TryQueueAnswer(batch, datagram, remote)) return;
        }
        try
        {
            _socket.SendTo(datagram, SocketFlags.None, remote);
        }
        catch (SocketException)
        {
            // Unreachable peers and full send buffers: the CoAP retransmission layer recovers.
        }
        catch (ObjectDisposedException) { }
    }

    /// <summary>
    /// Queues an answer; a full batch is sent first, so answers keep their order (a thread may answer more than a batch
    /// holds). False when the answer does not fit a slot, or the transport closed: it is then sent alone.
    /// </summary>
    private bool TryQueueAnswer(DatagramBatch batch, ReadOnlySpan<byte> datagram, SocketAddress remote) =>
        batch.TryQueue(datagram, remote) || (batch.Queued == batch.Capacity && SendBatch(batch) && batch.TryQueue(datagram, remote));

    private static bool IsTransient(SocketError error) =>
        error is SocketError.ConnectionReset or SocketError.MessageSize or SocketError.HostUnreachable
            or SocketError.NetworkUnreachable or SocketError.ConnectionRefused or SocketError.Interrupted;

    public void Dispose()
    {
        if (_closed) return;
        _closed = true;
        // Shutdown wakes threads blocked in recvfrom/recvmmsg on Linux; Dispose alone may not.
        try { _socket.Shutdown(SocketShutdown.Both); } catch (SocketException) { }
        _socket.Dispose();
        Interlocked.Exchange(ref _answerBatch, null)?.Dispose();
    }
}
