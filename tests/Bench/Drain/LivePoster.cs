using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Gateway.Bench.Coap;

namespace Gateway.Bench.Drain;

/// <summary>
/// Live telemetry during a drain: confirmable POSTs of <c>{"live":n}</c> to the live device's
/// <c>/api/v1/TOKEN/telemetry</c> at a fixed rate (open loop: the next one goes out on time whether
/// or not the last was answered), from one socket. Latency is send to 2.01, piggybacked or separate
/// (RFC 7252 §5.2; a separate response is acknowledged, §5.2.2). Each sample lands in the phase that
/// was current when its request was sent. No retransmission: a request unanswered at the end counts
/// as lost, so a loss shows up instead of hiding in a 2 s retransmission.
/// </summary>
internal sealed class LivePoster : IDisposable
{
    private const int TokenLength = 8;
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly byte[] _template;
    private readonly long[] _sentAt;
    private readonly byte[] _phaseOf;
    private readonly bool[] _answered;
    private readonly LatencyHistogram[] _histograms;
    private readonly long[] _sent, _nonCreated;
    private readonly double _rate;
    private volatile int _phase;
    private volatile bool _stop;
    private int _count;
    private Thread? _sender, _receiver;

    public LivePoster(int port, double rate, int phases, int maxSeconds)
    {
        _socket.Connect(new IPEndPoint(IPAddress.Loopback, port));
        _socket.ReceiveTimeout = 200;
        _rate = rate;
        _template = Request(Backlog.LiveToken);
        int capacity = (int)(rate * maxSeconds) + 1;
        _sentAt = new long[capacity];
        _phaseOf = new byte[capacity];
        _answered = new bool[capacity];
        _histograms = [.. Enumerable.Range(0, phases).Select(_ => new LatencyHistogram())];
        _sent = new long[phases];
        _nonCreated = new long[phases];
    }

    /// <summary>Where new requests' samples go; -1 = not counted (start-up).</summary>
    public int Phase { get => _phase; set => _phase = value; }

    public void Start()
    {
        _receiver = new Thread(Receive) { IsBackground = true, Name = "live-receive" };
        _sender = new Thread(Send) { IsBackground = true, Name = "live-send" };
        _receiver.Start();
        _sender.Start();
    }

    /// <summary>Stops sending, waits up to <paramref name="grace"/> for the last answers.</summary>
    public void Stop(TimeSpan grace)
    {
        _phase = -1;
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < grace && Outstanding() > 0) Thread.Sleep(10);
        _stop = true;
        _sender?.Join();
        _receiver?.Join();
    }

    /// <summary>p50, p99 (µs), requests sent, answered with 2.01, lost and answered otherwise in one phase.</summary>
    public (long P50, long P99, long Sent, long Created, long Lost, long Other) Result(int phase)
    {
        var h = _histograms[phase];
        long answered;
        lock (_histograms) answered = h.Count;
        return (h.Percentile(0.5), h.Percentile(0.99), _sent[phase], answered - _nonCreated[phase], _sent[phase] - answered, _nonCreated[phase]);
    }

    private int Outstanding()
    {
        int n = 0, count = Volatile.Read(ref _count);
        for (int i = 0; i < count; i++) if (!Volatile.Read(ref _answered[i])) n++;
        return n;
    }

    private void Send()
    {
        var request = (byte[])_template.Clone();
        long periodTicks = (long)(Stopwatch.Frequency / _rate);
        long next = Stopwatch.GetTimestamp();
        while (!_stop && _count < _sentAt.Length)
        {
            long now = Stopwatch.GetTimestamp();
            if (now < next)
            {
                // Sleep, never spin: a spinning sender took a third of a core from the gateway it measures (the raw
                // publishers run without it). A send up to a tick late changes nothing: latency is timed from the send.
                Thread.Sleep((int)Math.Max(1, (next - now) * 1000 / Stopwatch.Frequency));
                continue;
            }
            next += periodTicks;
            int phase = _phase;
            if (phase < 0) continue;
            int seq = _count;
            _phaseOf[seq] = (byte)phase;
            BinaryPrimitives.WriteUInt16BigEndian(request.AsSpan(2), (ushort)seq);
            BinaryPrimitives.WriteInt64BigEndian(request.AsSpan(4), seq);
            var body = Encoding.ASCII.GetBytes($"{{\"live\":{seq}}}");
            var datagram = request.Concat(body).ToArray();
            _sentAt[seq] = Stopwatch.GetTimestamp();
            Volatile.Write(ref _count, seq + 1);
            Interlocked.Increment(ref _sent[phase]);
            _socket.Send(datagram);
        }
    }

    private void Receive()
    {
        var buffer = new byte[2048];
        while (!_stop)
        {
            int length;
            try { length = _socket.Receive(buffer); }
            catch (SocketException) { continue; }
            long now = Stopwatch.GetTimestamp();
            if (length < 4 + TokenLength || (buffer[0] & 0x0F) != TokenLength) continue;
            int type = (buffer[0] >> 4) & 3;
            byte code = buffer[1];
            // A confirmable separate response is acknowledged (RFC 7252 §5.2.2); an empty ACK only says "wait".
            if (type == 0) _socket.Send([0x60, 0, buffer[2], buffer[3]]);
            if (code == 0) continue;
            long seq = BinaryPrimitives.ReadInt64BigEndian(buffer.AsSpan(4));
            if (seq < 0 || seq >= Volatile.Read(ref _count) || _answered[seq]) continue;
            Volatile.Write(ref _answered[seq], true);
            int phase = _phaseOf[seq];
            lock (_histograms)
            {
                _histograms[phase].Record((now - _sentAt[seq]) * 1_000_000 / Stopwatch.Frequency);
                if (code != 0x41) _nonCreated[phase]++; // 2.01 Created
            }
        }
    }

    /// <summary>CON POST, 8-byte token, Uri-Path api/v1/TOKEN/telemetry, Content-Format 50 (RFC 7252 §3, §5.10).</summary>
    private static byte[] Request(string token)
    {
        var bytes = new List<byte> { 0x40 | TokenLength, 0x02, 0, 0 };
        bytes.AddRange(new byte[TokenLength]);
        int last = 0;
        void Option(int number, byte[] value)
        {
            int delta = number - last;
            last = number;
            byte lengthNibble = value.Length < 13 ? (byte)value.Length : (byte)13;
            bytes.Add((byte)(delta << 4 | lengthNibble));
            if (value.Length >= 13) bytes.Add((byte)(value.Length - 13));
            bytes.AddRange(value);
        }
        foreach (var segment in new[] { "api", "v1", token, "telemetry" }) Option(11, Encoding.ASCII.GetBytes(segment));
        Option(12, [50]);
        bytes.Add(0xFF);
        return [.. bytes];
    }

    /// <summary>True when a confirmable GET of /.well-known/core is answered within half a second.</summary>
    public static async Task<bool> AnswersAsync(int port)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
        byte[] get = [0x40, 0x01, 0x12, 0x34, 0xBB, .. ".well-known"u8, 0x04, .. "core"u8];
        using var timeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
        try
        {
            await socket.SendAsync(get);
            var buffer = new byte[2048];
            int n = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
            return n >= 4 && buffer[1] >> 5 == 2;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException)
        {
            await Task.Delay(100);
            return false;
        }
    }

    public void Dispose() => _socket.Dispose();
}
