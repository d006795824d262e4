using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Gateway.Coap.Codec;
using Gateway.Coap.Messages;

namespace Gateway.Bench.Coap;

/// <summary>
/// <c>Bench load --scenario observe</c>: N client endpoints (one socket each) register one Observe relation on the
/// path (RFC 7641 §3.1, confirmable GET with Observe: 0, retransmitted per RFC 7252 §4.2), then count the
/// notifications the gateway sends for the measured duration, acknowledging confirmable ones (RFC 7641 §4.5);
/// at the end each deregisters (GET with Observe: 1, §3.6). Notifications come from whatever updates the
/// observed resource during the run (e.g. shared attributes set in the cloud).
/// </summary>
internal static class ObserveLoad
{
    private const int TokenLength = 8;
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static int Run(LoadOptions options, CancellationToken cancel)
    {
        var sockets = new List<Socket>(options.N);
        try
        {
            for (int i = 0; i < options.N; i++)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                socket.Bind(new IPEndPoint(IPAddress.Any, 0));
                sockets.Add(socket);
            }
            long registered = Exchange(options, sockets, observe: 0, cancel, out var codes);
            Console.WriteLine($"{registered:N0} of {options.N:N0} relations registered ({string.Join(", ", codes.Select(c => $"{c.Value} x {c.Key}"))})");
            if (registered == 0) return 1;

            long notifications = 0, confirmable = 0;
            long start = Stopwatch.GetTimestamp();
            var listen = new Thread(() => Listen(sockets, options.Target!, ref notifications, ref confirmable, start, options.Duration, cancel)) { IsBackground = true };
            listen.Start();
            LoadCommand.ReportProgress(options, start, cancel, () => Volatile.Read(ref notifications),
                rate => string.Create(Invariant, $"{Volatile.Read(ref notifications),12:N0} notifications   {rate,10:N0}/s   {Volatile.Read(ref confirmable):N0} confirmable"));
            listen.Join();
            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            Console.WriteLine(string.Create(Invariant,
                $"{notifications:N0} notifications in {seconds:F1} s: {notifications / seconds:N0}/s to {registered:N0} observers ({confirmable:N0} confirmable, acknowledged)"));
            Exchange(options, sockets, observe: 1, CancellationToken.None, out _);
            return cancel.IsCancellationRequested ? 130 : 0;
        }
        finally
        {
            foreach (var socket in sockets) socket.Dispose();
        }
    }

    /// <summary>One confirmable GET per socket with the Observe value; returns how many got a 2.xx with an Observe option.</summary>
    private static long Exchange(LoadOptions options, List<Socket> sockets, uint observe, CancellationToken cancel, out Dictionary<string, int> codes)
    {
        codes = [];
        var path = options.Path.Split('/', StringSplitOptions.RemoveEmptyEntries)
            .Select(segment => CoapOption.FromString(CoapOptionNumber.UriPath, Uri.UnescapeDataString(segment)));
        var requestOptions = new List<CoapOption> { CoapOption.FromUInt(CoapOptionNumber.Observe, observe) };
        requestOptions.AddRange(path);
        var requests = new byte[sockets.Count][];
        for (int i = 0; i < sockets.Count; i++)
        {
            var token = new byte[TokenLength];
            BinaryPrimitives.WriteInt64BigEndian(token, i);
            requests[i] = new byte[CoapCodec.GetEncodedLength(TokenLength, requestOptions, 0)];
            CoapCodec.Encode(CoapMessageType.Confirmable, CoapCode.Get, (ushort)(i + observe), token, requestOptions, [], requests[i]);
        }
        var pending = new Dictionary<Socket, (int Index, long SentAt, int Tries)>();
        long ok = 0;
        int next = 0;
        var buffer = new byte[2048];
        var timeout = Stopwatch.Frequency * 3;
        while ((next < sockets.Count || pending.Count > 0) && !cancel.IsCancellationRequested)
        {
            long now = Stopwatch.GetTimestamp();
            for (; next < sockets.Count && pending.Count < 200; next++)
            {
                sockets[next].SendTo(requests[next], options.Target!);
                pending[sockets[next]] = (next, now, 0);
            }
            foreach (var (socket, state) in pending.Where(p => now - p.Value.SentAt > timeout << p.Value.Tries).ToList())
            {
                if (state.Tries == 4) { pending.Remove(socket); codes["no answer"] = codes.GetValueOrDefault("no answer") + 1; continue; }
                socket.SendTo(requests[state.Index], options.Target!);
                pending[socket] = (state.Index, now, state.Tries + 1);
            }
            var readable = pending.Keys.ToList();
            Socket.Select(readable, null, null, 100_000);
            foreach (var socket in readable)
            {
                int length = socket.Receive(buffer);
                if (!CoapCodec.TryDecode(buffer.AsMemory(0, length).ToArray(), out var message, out _) || message.Code.IsEmpty) continue;
                if (message.Type == CoapMessageType.Confirmable) socket.SendTo(EmptyAck(message.MessageId), options.Target!); // a separate response (RFC 7252 §5.2.2)
                if (message.Token.Length != TokenLength || BinaryPrimitives.ReadInt64BigEndian(message.Token.Span) != pending[socket].Index) continue;
                pending.Remove(socket);
                string code = message.Code.ToString();
                codes[code] = codes.GetValueOrDefault(code) + 1;
                if (message.Code.IsSuccess && (observe != 0 || message.Options.Any(o => o.Number == CoapOptionNumber.Observe))) ok++;
            }
        }
        return ok;
    }

    /// <summary>An empty ACK carrying the confirmable message's Message ID (RFC 7252 §4.2).</summary>
    private static byte[] EmptyAck(ushort messageId) => [0x60, 0, (byte)(messageId >> 8), (byte)messageId];

    private static void Listen(List<Socket> sockets, IPEndPoint target, ref long notifications, ref long confirmable, long start, TimeSpan duration, CancellationToken cancel)
    {
        var buffer = new byte[2048];
        while (!cancel.IsCancellationRequested && Stopwatch.GetElapsedTime(start) < duration)
        {
            var readable = new List<Socket>(sockets);
            Socket.Select(readable, null, null, 100_000);
            foreach (var socket in readable)
            {
                int length = socket.Receive(buffer);
                if (length < 4 || buffer[0] >> 6 != 1) continue;
                var type = (CoapMessageType)((buffer[0] >> 4) & 3);
                if (type is not (CoapMessageType.Confirmable or CoapMessageType.NonConfirmable)) continue;
                Interlocked.Increment(ref notifications);
                if (type != CoapMessageType.Confirmable) continue;
                Interlocked.Increment(ref confirmable);
                socket.SendTo(EmptyAck(BinaryPrimitives.ReadUInt16BigEndian(buffer.AsSpan(2))), target);
            }
        }
    }
}
