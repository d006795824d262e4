using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Gateway.Coap.Codec;
using Gateway.Coap.Messages;

namespace Gateway.Bench.Coap;

/// <summary>
/// One generator thread of <c>Bench block2</c>: a share of the clients, each on its own socket, each a closed
/// loop of confirmable GETs. Downloading, a client asks for block 0, 1, 2, … of the path (RFC 7959 §2.4, in
/// its SZX) until a block without M, then starts over; otherwise it repeats the plain GET. With a spread, client i of
/// N goes on from block 0 to the block at i/N of the image (its Size2), so N clients read the whole of a large image. A lost message is
/// sent again after 2 s (RFC 7252 §4.2, without back-off: loopback loses only on overflow).
/// </summary>
internal sealed class Block2Clients
{
    private static readonly long Timeout = Stopwatch.Frequency * 2;

    private readonly RunControl _control;
    private readonly IPEndPoint _server;
    private readonly CoapOption[] _target;
    private readonly int? _szx;
    private readonly int _spreadOver;
    private readonly Client[] _clients;
    private readonly byte[] _receive = new byte[2048];
    private readonly byte[] _send = new byte[2048];

    public long Responses, Downloads, Retransmissions, NonSuccess;
    public byte LastCode;
    public Exception? Error;

    public Block2Clients(RunControl control, IPEndPoint server, string pathAndQuery, int count, int? szx, int firstClient, int spreadOver = 0)
    {
        (_control, _server, _szx, _spreadOver) = (control, server, szx, spreadOver);
        _target = TargetOptions(pathAndQuery);
        _clients = new Client[count];
        for (int i = 0; i < count; i++)
        {
            var socket = new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            socket.Connect(server);
            _clients[i] = new Client(socket, (uint)(firstClient + i) << 20, (ushort)Random.Shared.Next(), firstClient + i);
        }
    }

    /// <summary>Uri-Path and Uri-Query options of <c>/a/b?x=1&amp;y=2</c> (RFC 7252 §6.4).</summary>
    public static CoapOption[] TargetOptions(string pathAndQuery)
    {
        int mark = pathAndQuery.IndexOf('?', StringComparison.Ordinal);
        string path = mark < 0 ? pathAndQuery : pathAndQuery[..mark];
        var options = path.Split('/', StringSplitOptions.RemoveEmptyEntries)
            .Select(s => CoapOption.FromString(CoapOptionNumber.UriPath, Uri.UnescapeDataString(s))).ToList();
        if (mark >= 0)
        {
            options.AddRange(pathAndQuery[(mark + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries)
                .Select(q => CoapOption.FromString(CoapOptionNumber.UriQuery, Uri.UnescapeDataString(q))));
        }
        return [.. options];
    }

    public void Run()
    {
        try
        {
            using var epoll = new Epoll(_clients.Length);
            for (int i = 0; i < _clients.Length; i++)
            {
                epoll.Add((int)_clients[i].Socket.Handle, i);
                Send(_clients[i]);
            }
            while (!_control.Stopping)
            {
                int ready = epoll.Wait(100);
                for (int e = 0; e < ready; e++) Receive(_clients[epoll.DataAt(e)]);
                long now = Stopwatch.GetTimestamp();
                foreach (var client in _clients)
                {
                    if (now - client.SentAt < Timeout) continue;
                    Interlocked.Increment(ref Retransmissions);
                    Send(client);
                }
            }
        }
        catch (Exception e)
        {
            Error = e;
        }
        finally
        {
            foreach (var client in _clients) client.Socket.Dispose();
        }
    }

    private void Receive(Client client)
    {
        while (client.Socket.Available > 0)
        {
            int length = client.Socket.Receive(_receive);
            if (!CoapCodec.TryDecode(_receive.AsMemory(0, length).ToArray(), out var message, out _)) continue;
            if (message.Type != CoapMessageType.Acknowledgement || message.MessageId != client.MessageId) continue; // late duplicate
            if (message.Code.Value >> 5 != 2)
            {
                LastCode = message.Code.Value;
                Interlocked.Increment(ref NonSuccess);
                client.Block = 0;
            }
            else if (_szx is not null)
            {
                bool more = message.GetUIntOption(CoapOptionNumber.Block2) is { } raw && BlockOption.Decode(raw).More;
                if (more && client.Block == 0 && _spreadOver > 0 && message.GetUIntOption(CoapOptionNumber.Size2) is { } size2)
                    client.Block = (uint)Math.Max(1, (long)size2 / _spreadOver * client.Index >> (_szx.Value + 4));
                else if (more) client.Block++;
                else
                {
                    client.Block = 0;
                    if (_control.Measuring) Interlocked.Increment(ref Downloads);
                }
            }
            if (_control.Measuring) Interlocked.Increment(ref Responses);
            client.MessageId++;
            client.Sequence++;
            Send(client);
        }
    }

    private void Send(Client client)
    {
        var options = _szx is { } szx ? [.. _target, new BlockOption(client.Block, false, szx).ToOption(CoapOptionNumber.Block2)] : _target;
        Span<byte> token = stackalloc byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(token, client.Sequence);
        int length = CoapCodec.Encode(CoapMessageType.Confirmable, CoapCode.Get, client.MessageId, token, options, default, _send);
        client.Socket.Send(_send.AsSpan(0, length));
        client.SentAt = Stopwatch.GetTimestamp();
    }

    private sealed class Client(Socket socket, uint sequence, ushort messageId, int index)
    {
        public int Index { get; } = index;
        public Socket Socket { get; } = socket;
        public uint Sequence = sequence;
        public ushort MessageId = messageId;
        public uint Block;
        public long SentAt;
    }
}
