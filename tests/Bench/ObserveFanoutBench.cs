using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Gateway.Bench.Coap;
using Gateway.Coap;
using Gateway.Coap.Codec;
using Gateway.Coap.Messages;
using Gateway.Coap.Observe;
using Gateway.Coap.Server;
using Gateway.Coap.Transport;

namespace Gateway.Bench;

/// <summary>
/// <c>Bench observe-fanout</c>: the CoAP layer's part of issue #21's Observe target: one state change notified to
/// 10,000 observers. An endpoint on a loopback UDP socket (the gateway's own code, default transmission parameters:
/// NSTART 1, PROBING_RATE 1 byte/s) holds one relation per observer on one observable resource; the observers are
/// spread over client sockets, each socket a peer, so with fewer sockets than observers many relations share a peer
/// and its congestion control (RFC 7252 §4.7). Each round changes the value once, notifies every relation, and
/// times until the last observer has the new value; clients acknowledge Confirmable notifications (RFC 7641 §4.5).
/// The device API's cloud path in front of this (an MQTT attribute message per device, its commit) is not measured here.
/// </summary>
internal static class ObserveFanoutBench
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static int Run(string[] args)
    {
        int observers = 10_000, sockets = 100, rounds = 5;
        var types = new List<CoapMessageType> { CoapMessageType.NonConfirmable, CoapMessageType.Confirmable };
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--observers": observers = int.Parse(args[++i], Invariant); break;
                case "--sockets": sockets = int.Parse(args[++i], Invariant); break;
                case "--rounds": rounds = int.Parse(args[++i], Invariant); break;
                case "--type":
                    types = args[++i] switch
                    {
                        "con" => [CoapMessageType.Confirmable],
                        "non" => [CoapMessageType.NonConfirmable],
                        _ => types,
                    };
                    break;
                default:
                    Console.Error.WriteLine("usage: Bench observe-fanout [--observers N (10000)] [--sockets S (100)] [--rounds R (5)] [--type con|non|both]");
                    return 2;
            }
        }
        Console.WriteLine($"observe-fanout: {observers:N0} observers on {sockets:N0} client sockets ({(observers + sockets - 1) / sockets} relations a peer), {rounds} rounds, NSTART 1, PROBING_RATE 1 B/s");
        foreach (var type in types)
        {
            var result = RunType(observers, sockets, rounds, type);
            if (result != 0) return result;
        }
        return 0;
    }

    private static int RunType(int observers, int socketCount, int rounds, CoapMessageType registration)
    {
        var server = new CoapServer();
        var resource = server.Add("", new ValueResource());
        var options = new CoapEndpointOptions { MaxObservers = observers, MaxObserversPerPeer = (observers + socketCount - 1) / socketCount };
        using var endpoint = new CoapEndpoint(new UdpDatagramTransport(new IPEndPoint(IPAddress.Loopback, 0)), server, options);
        endpoint.Start();
        var target = (IPEndPoint)endpoint.LocalEndPoint;
        var clients = new Socket[socketCount];
        using var epoll = new Epoll(1024);
        try
        {
            for (int s = 0; s < socketCount; s++)
            {
                clients[s] = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                clients[s].Bind(new IPEndPoint(IPAddress.Loopback, 0));
                clients[s].Connect(target);
                epoll.Add((int)clients[s].Handle, s);
            }
            var client = new Clients(clients, epoll, observers);
            var registered = Stopwatch.StartNew();
            if (!client.Register(registration, TimeSpan.FromSeconds(120)))
            {
                Console.Error.WriteLine($"observe-fanout: only {client.Answered:N0} of {observers:N0} registrations answered");
                return 1;
            }
            Console.WriteLine(string.Create(Invariant,
                $"  {registration} registrations: {endpoint.Statistics.Observers:N0} relations in {registered.Elapsed.TotalSeconds:F1} s"));
            for (int round = 1; round <= rounds; round++)
            {
                long retransmissions = endpoint.Retransmissions, confirmable = endpoint.Statistics.ConfirmableNotifications;
                long notifications = endpoint.Statistics.Notifications;
                var clock = Stopwatch.StartNew();
                resource.Change(round);
                bool complete = client.AwaitValue(round, TimeSpan.FromSeconds(60), out long received);
                double ms = clock.Elapsed.TotalMilliseconds;
                long con = endpoint.Statistics.ConfirmableNotifications - confirmable;
                Console.WriteLine(string.Create(Invariant,
                    $"  round {round}: {received:N0} of {observers:N0} observers have the new value after {ms:N0} ms; " +
                    $"{endpoint.Statistics.Notifications - notifications:N0} notifications ({con:N0} CON, {endpoint.Statistics.Notifications - notifications - con:N0} NON), " +
                    $"{endpoint.Retransmissions - retransmissions:N0} retransmissions{(complete ? "" : "  INCOMPLETE")}"));
                Thread.Sleep(200); // let the last ACKs land before the next change
            }
            return 0;
        }
        finally
        {
            foreach (var socket in clients) socket?.Dispose();
        }
    }

    /// <summary>An observable value; every notification is the same small JSON a shared-attribute update is.</summary>
    private sealed class ValueResource() : ObservableResource("attributes")
    {
        private byte[] _body = """{"fw":"0"}"""u8.ToArray();

        public void Change(int value)
        {
            _body = System.Text.Encoding.UTF8.GetBytes($$"""{"fw":"{{value}}"}""");
            NotifyObservers(CoapResponse.WithFormat(CoapCode.Content, _body, CoapContentFormat.Json));
        }

        protected override ValueTask<CoapResponse> GetAsync(CoapRequest request, CancellationToken cancellationToken) =>
            new(CoapResponse.WithFormat(CoapCode.Content, _body, CoapContentFormat.Json));
    }

    /// <summary>The observers: relation i is on socket i mod S with token i and target <c>/attributes?i=</c>i (one relation per peer and target).</summary>
    private sealed class Clients(Socket[] sockets, Epoll epoll, int observers)
    {
        private readonly byte[] _buffer = new byte[2048];
        private readonly int[] _value = new int[observers];

        public int Answered { get; private set; }

        public bool Register(CoapMessageType type, TimeSpan limit)
        {
            var answered = new bool[observers];
            var clock = Stopwatch.StartNew();
            int next = 0;
            long lastResend = 0;
            while (Answered < observers && clock.Elapsed < limit)
            {
                for (int sent = 0; next < observers && next - Answered < 256 && sent < 64; sent++, next++) SendRegistration(next, type);
                if (clock.ElapsedMilliseconds - lastResend > 3000 && next == observers)
                {
                    lastResend = clock.ElapsedMilliseconds;
                    for (int i = 0; i < observers; i++) if (!answered[i]) SendRegistration(i, type); // RFC 7252 §4.2 (no back-off needed here)
                }
                Receive(10, (index, code, _) =>
                {
                    if (code == CoapCode.Content && !answered[index]) { answered[index] = true; Answered++; }
                });
            }
            return Answered == observers;
        }

        public bool AwaitValue(int value, TimeSpan limit, out long received)
        {
            var clock = Stopwatch.StartNew();
            long count = _value.Count(v => v == value);
            while (count < observers && clock.Elapsed < limit)
            {
                Receive(10, (index, code, payload) =>
                {
                    if (code == CoapCode.Content && _value[index] != value && payload == value) { _value[index] = value; count++; }
                });
            }
            received = count;
            return count == observers;
        }

        private void SendRegistration(int index, CoapMessageType type)
        {
            var token = new byte[4];
            BinaryPrimitives.WriteInt32BigEndian(token, index);
            List<CoapOption> options =
            [
                CoapOption.FromUInt(CoapOptionNumber.Observe, 0),
                CoapOption.FromString(CoapOptionNumber.UriPath, "attributes"),
                CoapOption.FromString(CoapOptionNumber.UriQuery, string.Create(Invariant, $"i={index}")),
            ];
            var request = CoapCodec.Encode(new CoapMessage(type, CoapCode.Get, (ushort)index, token, options));
            sockets[index % sockets.Length].Send(request);
        }

        /// <summary>
        /// Reads what is waiting, ACKs every Confirmable message (RFC 7252 §4.2) and hands each response to
        /// <paramref name="seen"/> with its relation index, code and the number in its <c>{"fw":"N"}</c> (-1 if none).
        /// </summary>
        private void Receive(int timeoutMs, Action<int, CoapCode, int> seen)
        {
            int ready = epoll.Wait(timeoutMs);
            for (int e = 0; e < ready; e++)
            {
                var socket = sockets[epoll.DataAt(e)];
                while (socket.Available > 0)
                {
                    int length = socket.Receive(_buffer);
                    if (!CoapCodec.TryDecode(_buffer.AsMemory(0, length).ToArray(), out var message, out _) || message.Token.Length != 4) continue;
                    if (message.Type == CoapMessageType.Confirmable) socket.Send([0x60, 0, _buffer[2], _buffer[3]]);
                    int index = BinaryPrimitives.ReadInt32BigEndian(message.Token.Span);
                    if ((uint)index < (uint)observers) seen(index, message.Code, ValueOf(message.Payload.Span));
                }
            }
        }

        private static int ValueOf(ReadOnlySpan<byte> body)
        {
            int start = body.IndexOf("\":\""u8);
            if (start < 0) return -1;
            body = body[(start + 3)..];
            int end = body.IndexOf((byte)'"');
            return end > 0 && int.TryParse(System.Text.Encoding.ASCII.GetString(body[..end]), NumberStyles.None, Invariant, out int v) ? v : -1;
        }
    }
}
