using System.Net;
using Gateway.Coap.Blockwise;
using Gateway.Coap.Codec;
using Gateway.Coap.Messages;
using Gateway.Coap.Server;
using Gateway.Coap.Transport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Coap.Multicast;

/// <summary>
/// Answers what arrives for All-CoAP-Nodes (RFC 7252 §8): <see cref="MulticastPolicy"/> decides, the resource tree
/// answers, and an answer worth sending waits a random leisure (§8.2.1) before it goes out as a NON (§8.2). Sending is
/// rate-limited and the number of answers waiting is bounded, both with counted drops; an answer is never larger than
/// <see cref="MulticastResponderOptions.AmplificationFactor"/> times its request (§11.3), a long listing going as its
/// first Block2 block (RFC 7959 §2.8: the rest by unicast). Nothing here touches the unicast endpoint's state.
/// </summary>
public sealed class MulticastResponder
{
    /// <summary>Sends one answer from a unicast address of the interface it is for (§8.2).</summary>
    public delegate void Reply(byte[] datagram, IPEndPoint to);

    private readonly ICoapRequestHandler _handler;
    private readonly MulticastResponderOptions _options;
    private readonly TimeProvider _time;
    private readonly Random _random;
    private readonly ILogger _logger;
    private readonly object _gate = new();
    private readonly HashSet<ITimer> _pending = [];
    private double _tokens;
    private long _refilledAt;
    private int _messageId;
    private bool _stopped;

    public MulticastResponder(ICoapRequestHandler handler, MulticastResponderOptions options, TimeProvider? time = null, Random? random = null, ILogger? logger = null)
    {
        if (options.Validate().FirstOrDefault() is { } problem) throw new ArgumentException(problem, nameof(options));
        _handler = handler;
        _options = options;
        _time = time ?? TimeProvider.System;
        _random = random ?? new Random();
        _logger = logger ?? NullLogger.Instance;
        _tokens = options.MaxResponsesPerSecond;
        _refilledAt = _time.GetTimestamp();
        _messageId = _random.Next(ushort.MaxValue + 1);
    }

    public MulticastStatistics Statistics { get; } = new();

    /// <summary>Answers waiting out their leisure.</summary>
    public int Pending { get { lock (_gate) return _pending.Count; } }

    /// <summary>One datagram that arrived for a group (the caller's buffer may be reused once this returns).</summary>
    public async Task ReceiveAsync(ReadOnlyMemory<byte> datagram, IPEndPoint from, Reply reply, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref Statistics._received);
        var copy = datagram.ToArray(); // the request outlives the caller's buffer while the handler runs
        var decision = CoapCodec.TryDecode(copy, out var message, out _) ? MulticastPolicy.Decide(message, wasMulticast: true) : MulticastDecision.NotRequest;
        if (decision != MulticastDecision.Answer)
        {
            Statistics.Count(decision);
            if (_logger.IsEnabled(LogLevel.Debug)) Log.MulticastIgnored(_logger, from.ToString(), decision);
            return;
        }
        var request = new CoapRequest(message!, PeerAddress.From(from));
        CoapResponse response;
        try
        {
            response = await _handler.HandleAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Log.HandlerFailed(_logger, e, request.ToString());
            return; // §8.2: no error answer to a group
        }
        if (!MulticastPolicy.HasSomethingToSay(response.Code, response.Payload.Length))
        {
            Interlocked.Increment(ref Statistics._nothingToSay);
            return;
        }
        var answer = Compose(message!, response, copy.Length);
        if (answer is null)
        {
            Interlocked.Increment(ref Statistics._tooLarge);
            return;
        }
        Schedule(answer, from, reply);
    }

    /// <summary>
    /// The whole answer, or its first block with the ETag and Size2 the unicast blocks carry (so the asker can fetch the
    /// rest by unicast, RFC 7959 §2.8, and see it is the same body); null if even a 16-byte block breaks the limit.
    /// </summary>
    private byte[]? Compose(CoapMessage request, CoapResponse response, int requestLength)
    {
        int block = Math.Min(_options.MaxBlockSize, response.MaxBlockSize ?? _options.MaxBlockSize);
        if (request.GetUIntOption(CoapOptionNumber.Block2) is { } asked) block = Math.Min(block, BlockOption.Decode(asked).Size); // §2.5
        long limit = (long)requestLength * _options.AmplificationFactor;
        var body = new CachedBody(response, BlockwiseTransfer.ETagFor(response));
        for (int szx = BlockOption.SzxForSize(block); szx >= 0; szx--)
        {
            var answer = response;
            if (response.Payload.Length > 1 << (szx + 4)) BlockwiseTransfer.TrySlice(body, 0, szx, szx, includeSize2: true, out answer);
            var options = answer.Options.OrderBy(o => o.Number).ToList();
            int length = CoapCodec.GetEncodedLength(request.Token.Length, options, answer.Payload.Length);
            if (length > limit) continue;
            var datagram = new byte[length];
            CoapCodec.Encode(CoapMessageType.NonConfirmable, answer.Code, (ushort)Interlocked.Increment(ref _messageId), request.Token.Span, options, answer.Payload.Span, datagram);
            return datagram;
        }
        return null;
    }

    private void Schedule(byte[] answer, IPEndPoint to, Reply reply)
    {
        var sending = new Sending(answer, to, reply);
        var timer = _time.CreateTimer(static state => { var (self, x) = ((MulticastResponder, Sending))state!; self.Send(x); },
            (this, sending), Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        sending.Timer = timer;
        TimeSpan delay;
        lock (_gate)
        {
            bool admitted = false;
            if (_stopped) { }
            else if (!TakeToken()) Interlocked.Increment(ref Statistics._rateLimited);
            else if (_pending.Count >= _options.MaxPending) Interlocked.Increment(ref Statistics._pendingFull);
            else admitted = _pending.Add(timer);
            if (!admitted)
            {
                timer.Dispose();
                return;
            }
            delay = MulticastPolicy.LeisureDelay(_options.Leisure, _random.NextDouble());
        }
        timer.Change(delay, Timeout.InfiniteTimeSpan);
    }

    private sealed class Sending(byte[] answer, IPEndPoint to, Reply reply)
    {
        public byte[] Answer { get; } = answer;
        public IPEndPoint To { get; } = to;
        public Reply Reply { get; } = reply;
        public ITimer? Timer { get; set; }
    }

    private void Send(Sending sending)
    {
        lock (_gate)
        {
            if (!_pending.Remove(sending.Timer!)) return; // stopped meanwhile
        }
        sending.Timer!.Dispose();
        sending.Reply(sending.Answer, sending.To);
        Interlocked.Increment(ref Statistics._answered);
    }

    // A token bucket as deep as one second's answers: a burst of discovery is answered, a flood is not (§8.2 congestion).
    private bool TakeToken()
    {
        long now = _time.GetTimestamp();
        _tokens = Math.Min(_options.MaxResponsesPerSecond, _tokens + _time.GetElapsedTime(_refilledAt, now).TotalSeconds * _options.MaxResponsesPerSecond);
        _refilledAt = now;
        if (_tokens < 1) return false;
        _tokens--;
        return true;
    }

    /// <summary>Drops the answers still waiting (the gateway is stopping).</summary>
    public void Stop()
    {
        List<ITimer> pending;
        lock (_gate)
        {
            _stopped = true;
            pending = [.. _pending];
            _pending.Clear();
        }
        foreach (var timer in pending) timer.Dispose();
    }
}
