using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Gateway.Bench.Coap;

/// <summary>
/// One generator thread: a share of the slots, each a closed loop of confirmable GETs with
/// RFC 7252 §4.2 retransmission (ACK_TIMEOUT 2 s × [1, 1.5), doubling, MAX_RETRANSMIT 4).
/// A response is accepted only if it arrives on the slot's current endpoint with the slot's
/// token and, for a piggybacked ACK, its MID. Steady state allocates nothing: per-slot request
/// buffers, one receive buffer, one <see cref="SocketAddress"/> for each direction.
/// </summary>
internal sealed class LoadWorker
{
    private const int HeaderLength = 4;
    private const int TokenLength = 8;
    private const int MaxRetransmit = 4;
    // Retire a socket a little before 65536 fresh MIDs so no (peer, MID) repeats within the run.
    private const int MidBudget = 65_000;
    // Start-up ramp, as coapload does: 256 requests at once would overflow a 208 KiB default
    // receive buffer (libcoap's) and show up as 2-second retransmissions.
    private const int RampPerMillisecond = 16;

    private static readonly long TicksPerMs = Stopwatch.Frequency / 1000;
    private static readonly double MicrosPerTick = 1e6 / Stopwatch.Frequency;

    private readonly RunControl _control;
    private readonly SocketAddress _server;
    private readonly IPAddress _source;
    private readonly int _requestLength;
    private readonly LoadSlot[] _slots;
    private readonly List<LoadEndpoint> _endpoints = [];
    private readonly byte[] _receive = new byte[2048];
    private readonly SocketAddress _from;
    private readonly byte[] _emptyAck = new byte[HeaderLength];
    private readonly Random _random;
    private Epoll? _epoll;

    public LatencyHistogram Histogram { get; } = new();
    public long Responses, Retransmissions, Failures, Resets, Stale, NonSuccess, SocketErrors, Separate, RetiredSockets;
    public byte LastCode;
    public Exception? Error;

    public LoadWorker(RunControl control, IPEndPoint server, IPAddress source, ReadOnlySpan<byte> requestTemplate,
        int firstSlot, int slotCount, int socketsPerSlot, int seed)
    {
        _control = control;
        _server = server.Serialize();
        _from = new SocketAddress(server.AddressFamily);
        _source = source;
        _random = new Random(seed);
        _requestLength = requestTemplate.Length;
        _slots = new LoadSlot[slotCount];
        for (int s = 0; s < slotCount; s++)
        {
            var request = requestTemplate.ToArray();
            // Token = (global slot index, sequence): unique per outstanding request, cheap to patch.
            BinaryPrimitives.WriteInt32BigEndian(request.AsSpan(HeaderLength), firstSlot + s);
            var ring = new int[socketsPerSlot];
            for (int r = 0; r < socketsPerSlot; r++) ring[r] = NewEndpoint(s);
            _slots[s] = new LoadSlot(request, ring);
        }
    }

    public void Run()
    {
        try
        {
            if (_slots.Length == 1) RunBlocking();
            else RunEpoll();
        }
        catch (Exception e)
        {
            Error = e;
        }
        finally
        {
            _epoll?.Dispose();
            foreach (var endpoint in _endpoints) endpoint.Socket.Dispose();
        }
    }

    /// <summary>One slot: block in recvfrom on its current socket, two syscalls per exchange like a C client.</summary>
    private void RunBlocking()
    {
        var slot = _slots[0];
        StartRequest(slot, Stopwatch.GetTimestamp());
        while (!_control.Stopping)
        {
            var endpoint = _endpoints[slot.EndpointId];
            int length = Receive(endpoint);
            long now = Stopwatch.GetTimestamp();
            if (length >= 0) Handle(endpoint, length, now);
            if (now >= slot.Deadline) CheckTimeout(slot, now);
        }
    }

    /// <summary>Many slots: epoll over all their sockets, scanning retransmission deadlines every 10 ms.</summary>
    private void RunEpoll()
    {
        _epoll = new Epoll(Math.Min(_endpoints.Count, 1024));
        foreach (var endpoint in _endpoints) _epoll.Add(endpoint.Fd, endpoint.Id);
        int started = 0;
        long now = Stopwatch.GetTimestamp();
        long nextRamp = now, nextScan = now + 10 * TicksPerMs;
        while (!_control.Stopping)
        {
            if (started < _slots.Length && now >= nextRamp)
            {
                int end = Math.Min(started + RampPerMillisecond, _slots.Length);
                for (; started < end; started++) StartRequest(_slots[started], now);
                nextRamp = now + TicksPerMs;
            }
            int events = _epoll.Wait(started < _slots.Length ? 1 : 10);
            for (int i = 0; i < events; i++)
            {
                var endpoint = _endpoints[_epoll.DataAt(i)];
                int length = Receive(endpoint);
                if (length >= 0) Handle(endpoint, length, Stopwatch.GetTimestamp());
            }
            now = Stopwatch.GetTimestamp();
            if (now >= nextScan)
            {
                foreach (var slot in _slots)
                    if (slot.Active && now >= slot.Deadline) CheckTimeout(slot, now);
                nextScan = now + 10 * TicksPerMs;
            }
        }
    }

    private int Receive(LoadEndpoint endpoint)
    {
        try
        {
            return endpoint.Socket.ReceiveFrom(_receive, SocketFlags.None, _from);
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock)
        {
            return -1; // the receive timeout only bounds how long a stop request waits
        }
        catch (SocketException)
        {
            SocketErrors++; // e.g. ICMP port unreachable: the server is gone
            return -1;
        }
    }

    private void Handle(LoadEndpoint endpoint, int length, long now)
    {
        var datagram = _receive.AsSpan(0, length);
        if (length < HeaderLength || datagram[0] >> 6 != 1) { Stale++; return; }
        int type = (datagram[0] >> 4) & 3;
        int tokenLength = datagram[0] & 0x0F;
        byte code = datagram[1];
        ushort mid = BinaryPrimitives.ReadUInt16BigEndian(datagram[2..]);
        var slot = _slots[endpoint.Slot];
        bool current = slot.Active && slot.EndpointId == endpoint.Id;
        bool tokenMatches = current && tokenLength == TokenLength && length >= HeaderLength + TokenLength
            && datagram.Slice(HeaderLength, TokenLength).SequenceEqual(slot.Request.AsSpan(HeaderLength, TokenLength));

        switch (type)
        {
            case 2 or 3: // ACK or RST: matched by MID first (§4.2, §4.3)
                if (!current || mid != slot.Mid) { Stale++; return; }
                if (type == 3) { Resets++; Complete(slot, code, now, failed: true); return; }
                if (code == 0)
                {
                    // Empty ACK: stop retransmitting and wait for the separate response (§5.2.2).
                    if (!slot.Acked) { slot.Acked = true; slot.Deadline = now + 30_000 * TicksPerMs; }
                    return;
                }
                if (!tokenMatches) { Stale++; return; }
                Complete(slot, code, now, failed: false);
                return;
            default: // CON or NON: a separate response, matched by token
                if (type == 0) SendEmpty(endpoint, tokenMatches ? 2 : 3, mid); // ACK ours, RST anything else (§4.2)
                if (!tokenMatches) { Stale++; return; }
                Separate++;
                Complete(slot, code, now, failed: false);
                return;
        }
    }

    private void Complete(LoadSlot slot, byte code, long now, bool failed)
    {
        slot.Active = false;
        if (_control.Measuring)
        {
            if (failed) Failures++;
            else
            {
                Responses++;
                Histogram.Record((long)((now - slot.SentAt) * MicrosPerTick));
                if (code >> 5 != 2) NonSuccess++;
                LastCode = code;
            }
        }
        StartRequest(slot, now);
    }

    private void CheckTimeout(LoadSlot slot, long now)
    {
        if (!slot.Active || now < slot.Deadline) return;
        if (!slot.Acked && slot.Retries < MaxRetransmit)
        {
            slot.Retries++;
            slot.Timeout *= 2;
            slot.Deadline = now + slot.Timeout;
            if (_control.Measuring) Retransmissions++;
            Send(_endpoints[slot.EndpointId], slot);
            return;
        }
        // Out of retransmissions, or the separate response never came: the exchange failed.
        if (_control.Measuring) Failures++;
        slot.Active = false;
        StartRequest(slot, now);
    }

    private void StartRequest(LoadSlot slot, long now)
    {
        if (_control.Stopping) return;
        slot.RingPosition = (slot.RingPosition + 1) % slot.Ring.Length;
        var endpoint = _endpoints[slot.Ring[slot.RingPosition]];
        if (endpoint.Used >= MidBudget) endpoint = Retire(slot, endpoint);
        ushort mid = endpoint.NextMid++;
        endpoint.Used++;
        slot.Sequence++;
        BinaryPrimitives.WriteUInt16BigEndian(slot.Request.AsSpan(2), mid);
        BinaryPrimitives.WriteUInt32BigEndian(slot.Request.AsSpan(HeaderLength + 4), slot.Sequence);
        slot.Mid = mid;
        slot.EndpointId = endpoint.Id;
        slot.SentAt = now;
        slot.Retries = 0;
        slot.Acked = false;
        slot.Timeout = (long)(2000 * TicksPerMs * (1.0 + 0.5 * _random.NextDouble()));
        slot.Deadline = now + slot.Timeout;
        slot.Active = true;
        Send(endpoint, slot);
    }

    private void Send(LoadEndpoint endpoint, LoadSlot slot)
    {
        try
        {
            endpoint.Socket.SendTo(slot.Request.AsSpan(0, _requestLength), SocketFlags.None, _server);
        }
        catch (SocketException)
        {
            SocketErrors++; // retransmission will try again
        }
    }

    private void SendEmpty(LoadEndpoint endpoint, int type, ushort mid)
    {
        _emptyAck[0] = (byte)(0x40 | (type << 4));
        _emptyAck[1] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(_emptyAck.AsSpan(2), mid);
        try { endpoint.Socket.SendTo(_emptyAck, SocketFlags.None, _server); }
        catch (SocketException) { SocketErrors++; }
    }

    /// <summary>
    /// Replaces a socket that used up its MID budget. The old one stays bound (unwatched) until the
    /// point ends, so the kernel cannot hand its port to the new socket and recreate an old (peer, MID).
    /// </summary>
    private LoadEndpoint Retire(LoadSlot slot, LoadEndpoint old)
    {
        RetiredSockets++;
        _epoll?.Remove(old.Fd);
        int id = NewEndpoint(old.Slot);
        slot.Ring[slot.RingPosition] = id;
        var fresh = _endpoints[id];
        _epoll?.Add(fresh.Fd, fresh.Id);
        return fresh;
    }

    private int NewEndpoint(int slot)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        // A safety net: epoll said readable, so recvfrom should never block; if it ever did, the
        // worker would still notice the end of the point within 20 ms.
        socket.ReceiveTimeout = 20;
        socket.Bind(new IPEndPoint(_source, 0));
        var endpoint = new LoadEndpoint(_endpoints.Count, slot, socket, (ushort)_random.Next(65536));
        _endpoints.Add(endpoint);
        return endpoint.Id;
    }
}
