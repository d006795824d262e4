using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using Gateway.Coap.Blockwise;
using Gateway.Coap.Codec;
using Gateway.Coap.Messages;
using Gateway.Coap.Reliability;
using Gateway.Coap.Server;
using Gateway.Coap.Transport;
using Gateway.Coap.Transport.Linux;
using Gateway.Common;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Coap;

/// <summary>
/// One CoAP endpoint (RFC 7252 §4, §5): owns a transport and all message-layer state for it —
/// deduplication, retransmission of its Confirmable messages, outstanding client requests.
/// <para>Pipeline per datagram, all on the receive thread with no hop: decode → reject policy →
/// by type (request: options check → dedup → [transfer options: observe deregistration, Block1
/// reassembly, cached Block2 block] → handler → [observe registration, Block2 slicing] →
/// piggybacked response; response: match token; ACK/RST: match Message ID, then observe
/// relations). The bracketed steps run only for requests carrying Observe/Block/Size options or
/// responses larger than a block (<see cref="PrepareTransfer"/>, <see cref="Shape"/>). Only a handler that does not finish synchronously leaves
/// the thread; its response comes back through <see cref="CompleteExchange"/>.</para>
/// <para>State is guarded by one gate, held only for table operations, never for I/O or handlers.</para>
/// </summary>
public sealed partial class CoapEndpoint : IDisposable
{
    private readonly IDatagramTransport _transport;
    private readonly IBatchingDatagramTransport? _batching; // the same transport, when it batches system calls
    private readonly ISessionIdentityProvider? _sessions;
    private readonly ICoapRequestHandler? _handler;
    private readonly CoapEndpointOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly object _gate = new();
    private readonly Deduplicator _deduplicator;
    private readonly ConfirmableSender _confirmables;
    private readonly MessageIdSequence _messageIds = new();
    private readonly TokenGenerator _tokens = new();
    private readonly Dictionary<(PeerAddress Peer, ulong Token), ClientExchange> _clientExchanges = [];
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Thread> _threads = [];
    private readonly long _exchangeLifetime, _nonLifetime;
    private long _lastEvictionWarning = long.MinValue, _evictionsWarned;
    // Inject's one context (scripted tests), reused like a receive thread's.
    private readonly object _injectGate = new();
    private ReceiveContext? _injectContext;
    private readonly DetachedRequestPool _spareRequests = new(SpareRequests);
    private readonly SparePool<ServerExchange> _spareExchanges = new(SpareRequests);
    private readonly Action<ServerExchange> _completeExchange;
    private readonly TimerCallback _onSeparateDeadline;

    /// <summary>Requests of completed asynchronous exchanges kept for reuse (tests).</summary>
    internal int SpareRequestCount => _spareRequests.Count;

    /// <summary>Exchanges kept for reuse (tests).</summary>
    internal int SpareExchangeCount => _spareExchanges.Count;

    /// <summary>Requests and exchanges kept for reuse after asynchronous exchanges: more than the writes one group commit answers.</summary>
    private const int SpareRequests = 256;
    private int _disposed;

    public CoapEndpoint(IDatagramTransport transport, ICoapRequestHandler? handler = null, CoapEndpointOptions? options = null,
        TimeProvider? timeProvider = null, ILogger? logger = null)
    {
        _transport = transport;
        _batching = transport as IBatchingDatagramTransport;
        _sessions = transport as ISessionIdentityProvider;
        _handler = handler;
        _options = options ?? new CoapEndpointOptions();
        if (_options.Validate().FirstOrDefault() is { } problem) throw new ArgumentException(problem, nameof(options));
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
        _deduplicator = new Deduplicator(_options.DeduplicationCapacity, _options.DeduplicationInlineBytes);
        _confirmables = new ConfirmableSender(_options, _time, transport, _gate);
        _observeEvents = new Observe.ObserveEvents(_gate);
        _deliverObserveEvent = DeliverObserveEvent;
        _completeExchange = OnHandlerCompleted;
        _onSeparateDeadline = state => OnSeparateDeadline((ServerExchange)state!);
        _exchangeLifetime = (long)(_options.ExchangeLifetime.TotalSeconds * _time.TimestampFrequency);
        _nonLifetime = (long)(_options.NonLifetime.TotalSeconds * _time.TimestampFrequency);
    }

    public CoapEndpointStatistics Statistics { get; } = new();

    public EndPoint LocalEndPoint => _transport.LocalEndPoint;

    public CoapEndpointOptions Options => _options;

    /// <summary>Confirmable messages this endpoint is still retransmitting.</summary>
    public int PendingConfirmables => _confirmables.Count;

    public long Retransmissions { get { lock (_gate) return _confirmables.Retransmissions; } }

    public int DeduplicationEntries { get { lock (_gate) return _deduplicator.Count; } }

    public long DeduplicationEvictions { get { lock (_gate) return _deduplicator.EvictedEarly; } }

    /// <summary>
    /// Until the returned scope is disposed, the answers the calling thread completes leave together (one <c>sendmmsg</c>
    /// per batch on Linux) instead of one system call each: for a thread that completes many requests' handlers at once,
    /// as the outbox's writer does after a group commit. Null when the transport cannot (each answer is then sent at once).
    /// </summary>
    public IDisposable? CoalesceAnswers() => _batching?.CoalesceAnswers(_options.MaxMessageSize);

    /// <summary>Starts the receive threads (blocking receive, one per core unless configured).</summary>
    public void Start()
    {
        int count = _options.ReceiveThreads > 0 ? _options.ReceiveThreads : Environment.ProcessorCount;
        for (int i = 0; i < count; i++)
        {
            var thread = new Thread(ReceiveLoop) { IsBackground = true, Name = $"coap-rx-{i}" };
            _threads.Add(thread);
            thread.Start();
        }
        Log.Listening(_logger, _transport.LocalEndPoint, count);
    }

    private void ReceiveLoop()
    {
        var context = NewContext();
        var batch = _batching?.CreateBatch(_options.MaxMessageSize);
        try
        {
            if (batch is not null)
            {
                ReceiveBatches(_batching!, batch, context);
                return;
            }
            while (true)
            {
                int length = _transport.Receive(context.Buffer, context.Remote);
                if (length < 0) break;
                Process(context, length);
            }
        }
        finally
        {
            batch?.Dispose();
            context.Release();
        }
    }

    /// <summary>
    /// The same pipeline, fed several datagrams per system call; each is copied into the thread's context (a few dozen
    /// bytes for a GET) so a handler that goes asynchronous can still take the buffer with it.
    /// </summary>
    private void ReceiveBatches(IBatchingDatagramTransport transport, DatagramBatch batch, ReceiveContext context)
    {
        while (true)
        {
            int count = transport.ReceiveBatch(batch);
            if (count < 0) return;
            for (int i = 0; i < count; i++)
            {
                // Longer than Coap:MaxMessageSize (RFC 7252 §4.6): the datagram was cut, so it is dropped unread.
                if (batch.IsTruncated(i))
                {
                    Interlocked.Increment(ref Statistics._received);
                    Interlocked.Increment(ref Statistics._ignored);
                    continue;
                }
                var datagram = batch.Datagram(i);
                datagram.CopyTo(context.Buffer);
                batch.CopySender(i, context.Remote);
                Process(context, datagram.Length);
            }
        }
    }

    private ReceiveContext NewContext() => new(_options.MaxMessageSize, new SocketAddress(_transport.AddressFamily));

    /// <summary>
    /// Processes one datagram synchronously, as the receive loop does (scripted tests drive this):
    /// through one reused context, so tests see the same object reuse as a receive thread.
    /// </summary>
    internal void Inject(ReadOnlySpan<byte> datagram, IPEndPoint from)
    {
        lock (_injectGate)
        {
            var context = _injectContext ??= NewContext();
            var address = from.Serialize();
            address.Buffer.Span.CopyTo(context.Remote.Buffer.Span);
            context.Remote.Size = address.Size;
            datagram.CopyTo(context.Buffer);
            Process(context, datagram.Length);
        }
    }


    private void Process(ReceiveContext context, int length)
    {
        Interlocked.Increment(ref Statistics._received);
        context.Length = length;
        try
        {
            var datagram = context.Buffer.AsMemory(0, length);
            if (!CoapCodec.TryDecode(datagram, context.Message, out var message, out var error))
            {
                Reject(context, error);
                return;
            }
            var peer = PeerAddress.From(context.Remote);
            switch (message.Type)
            {
                case CoapMessageType.Confirmable or CoapMessageType.NonConfirmable when message.Code.IsRequest:
                    HandleRequest(context, message, peer);
                    break;
                case CoapMessageType.Confirmable or CoapMessageType.NonConfirmable when message.Code.IsResponse:
                    HandleResponse(context, datagram, message, peer);
                    break;
                case CoapMessageType.Confirmable:
                    // §4.3: an Empty CON is a ping, answered with RST; a reserved code class is
                    // a CON we cannot process, also rejected with RST (§4.2).
                    SendEmpty(context, CoapMessageType.Reset, message.MessageId);
                    break;
                case CoapMessageType.Acknowledgement:
                    bool matched = _confirmables.Complete(peer, message.MessageId, ConfirmableOutcome.Acknowledged);
                    if (message.Code.IsResponse) HandleResponse(context, datagram, message, peer);
                    else if (!matched) Interlocked.Increment(ref Statistics._unmatched);
                    break;
                case CoapMessageType.Reset:
                    if (!_confirmables.Complete(peer, message.MessageId, ConfirmableOutcome.Reset) && !ResetNonNotification(peer, message.MessageId))
                        Interlocked.Increment(ref Statistics._unmatched);
                    break;
                default:
                    Interlocked.Increment(ref Statistics._ignored); // Empty or reserved-class NON
                    break;
            }
        }
        catch (Exception e)
        {
            // Nothing a peer sends may end the loop; this is a bug worth a log line, not a crash.
            Log.ProcessingFailed(_logger, e, PeerAddress.From(context.Remote).ToString());
        }
    }

    private void Reject(ReceiveContext context, in CoapDecodeError error)
    {
        Interlocked.Increment(ref Statistics._malformed);
        var action = CoapRejectPolicy.Decide(error);
        if (_logger.IsEnabled(LogLevel.Debug)) Log.Rejected(_logger, PeerAddress.From(context.Remote).ToString(), error.Describe(), action);
        switch (action)
        {
            case CoapRejectAction.Reset:
                SendEmpty(context, CoapMessageType.Reset, error.MessageId);
                break;
            case CoapRejectAction.BadRequest:
                SendNow(context, CoapMessageType.Acknowledgement, error.MessageId, error.GetToken(),
                    CoapResponse.Error(CoapCode.BadRequest, error.Describe()));
                break;
            default:
                Interlocked.Increment(ref Statistics._ignored);
                break;
        }
    }

    private void HandleRequest(ReceiveContext context, CoapMessage message, PeerAddress peer)
    {
        var action = CoapRejectPolicy.DecideOptions(message, out ushort badOption);
        if (action == CoapRejectAction.Accept && _handler is null) action = message.Type == CoapMessageType.Confirmable ? CoapRejectAction.Reset : CoapRejectAction.Ignore;
        if (action != CoapRejectAction.Accept)
        {
            if (action == CoapRejectAction.BadOption)
            {
                Interlocked.Increment(ref Statistics._badOptions);
                // The code says "Bad Option"; the diagnostic names which one, in at most 12 bytes, so it fits the
                // answer to the smallest request carrying that option (§11.3: 3 × 5 bytes for a number below 13).
                SendNow(context, CoapMessageType.Acknowledgement, message.MessageId, message.Token.Span,
                    CoapResponse.Error(CoapCode.BadOption, string.Create(CultureInfo.InvariantCulture, $"option {badOption}")));
            }
            else if (action == CoapRejectAction.Reset) SendEmpty(context, CoapMessageType.Reset, message.MessageId);
            else Interlocked.Increment(ref Statistics._ignored);
            return;
        }

        TransferOptions transfer = default;
        if (message.Options.Count > 0) TransferOptions.Scan(message.Options, out transfer);
        bool confirmable = message.Type == CoapMessageType.Confirmable;
        Deduplicator.Lookup lookup;
        Deduplicator.Handle handle;
        int replay = 0;
        byte[] replayBuffer = context.SendBuffer;
        long now = _time.GetTimestamp();
        lock (_gate)
        {
            long evicted = _deduplicator.EvictedEarly;
            lookup = _deduplicator.CheckAndAdd(peer, message.MessageId, transfer.Any ? transfer.DeduplicationVariant : 0, now, confirmable ? _exchangeLifetime : _nonLifetime,
                out handle, out var cached);
            if (lookup is Deduplicator.Lookup.InProgress or Deduplicator.Lookup.Done)
            {
                if (cached.Length > replayBuffer.Length) replayBuffer = new byte[cached.Length];
                cached.CopyTo(replayBuffer);
                replay = cached.Length;
            }
            else if (_deduplicator.EvictedEarly != evicted)
            {
                WarnDeduplicationFull(now);
            }
        }
        if (lookup is Deduplicator.Lookup.InProgress or Deduplicator.Lookup.Done)
        {
            // §4.5: a duplicate CON gets the same ACK again; the handler never runs twice.
            Interlocked.Increment(ref Statistics._duplicates);
            if (replay > 0) _transport.Send(replayBuffer.AsSpan(0, replay), context.Remote);
            return;
        }

        // A repeatable block's retransmission is served again (see IsRepeatableBlock), and counted as the duplicate it is.
        Interlocked.Increment(ref lookup == Deduplicator.Lookup.Repeat ? ref Statistics._duplicates : ref Statistics._requests);
        CoapRequest request;
        if (!transfer.Any) request = context.RequestFor(message, peer);
        else if (!PrepareTransfer(context, message, peer, handle, transfer, out request)) return;
        if (_sessions is not null) request.SessionIdentity = _sessions.GetSessionIdentity(peer);
        ValueTask<CoapResponse> pending;
        try
        {
            pending = _handler!.HandleAsync(request, _stopping.Token);
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            return; // stopping: no answer, as for a handler cancelled after it went asynchronous
        }
        catch (Exception e)
        {
            pending = new(HandlerFailed(e, request));
        }

        if (pending.IsCompleted)
        {
            CoapResponse response;
            try { response = pending.Result; }
            catch (Exception e) { response = HandlerFailed(e, request); }
            Statistics.CountHandlerResponse(response.Code);
            Respond(context, message, handle, Shape(request, response, context.Remote));
            if (request.ObserveRelation is not null) RegistrationAnswered(request);
            return;
        }

        // The handler is still working: its exchange keeps the datagram buffer, message and request.
        var buffer = context.Detach(_spareRequests, out var detachedMessage, out var detachedRequest);
        if (!_spareExchanges.TryTake(out var exchange)) exchange = new ServerExchange(_completeExchange);
        // Only the receive thread's own request goes back to the spares (a block-wise transfer's is its own).
        exchange.Start(peer, context.Remote, message, handle, buffer, context.Length, request,
            ReferenceEquals(request, detachedRequest) ? detachedMessage : null, pending, now);
        if (confirmable) ArmDeadline(exchange);
        // No asynchronous method: the continuation is the exchange's own delegate, run where the handler completes
        // (the outbox's writer, inside its batch of answers) as an awaiting method's would be.
        pending.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(exchange.HandlerCompleted);
    }

    private void ArmDeadline(ServerExchange exchange)
    {
        if (exchange.Deadline is { } timer) timer.Change(_options.SeparateResponseDelay, Timeout.InfiniteTimeSpan);
        else exchange.Deadline = _time.CreateTimer(_onSeparateDeadline, exchange, _options.SeparateResponseDelay, Timeout.InfiniteTimeSpan);
    }

    /// <summary>The handler's answer is there: shape it, send it, and keep the exchange (and the request) for reuse.</summary>
    private void OnHandlerCompleted(ServerExchange exchange)
    {
        var request = exchange.Request;
        CoapResponse response;
        try
        {
            response = exchange.Pending.Result;
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            lock (_gate) { exchange.Completed = true; exchange.Deadline?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan); }
            ArrayPool<byte>.Shared.Return(exchange.Buffer);
            exchange.Clear();
            return;
        }
        catch (Exception e)
        {
            response = HandlerFailed(e, request);
        }
        var spare = exchange.SpareMessage;
        try
        {
            Statistics.CountHandlerResponse(response.Code);
            try
            {
                response = Shape(request, response, exchange.To);
            }
            catch (Exception e)
            {
                response = HandlerFailed(e, request);
            }
            CompleteExchange(exchange, response);
            if (request.ObserveRelation is not null) RegistrationAnswered(request);
            // The handler's task has ended and the answer is out: nothing refers to the request any more.
            else if (spare is not null) _spareRequests.Return(spare, request);
        }
        catch (Exception e)
        {
            // Run by whoever completed the handler (the outbox's writer, a pool thread): never let it fail them.
            Log.ExchangeFailed(_logger, e, exchange.Peer.ToString());
        }
        exchange.Clear();
        _spareExchanges.Return(exchange);
    }

    private CoapResponse HandlerFailed(Exception e, CoapRequest request)
    {
        Interlocked.Increment(ref Statistics._handlerErrors);
        Log.HandlerFailed(_logger, e, request.ToString());
        return CoapResponse.Empty(CoapCode.InternalServerError);
    }

    // Under sustained load every request evicts an entry: say so once a minute with a count, not per eviction.
    private void WarnDeduplicationFull(long now)
    {
        if (_lastEvictionWarning != long.MinValue && now - _lastEvictionWarning < 60 * _time.TimestampFrequency) return;
        long total = _deduplicator.EvictedEarly;
        Log.DeduplicationFull(_logger, _options.DeduplicationCapacity, total - _evictionsWarned);
        _lastEvictionWarning = now;
        _evictionsWarned = total;
    }

    private static SocketAddress CopyAddress(SocketAddress address)
    {
        var copy = new SocketAddress(address.Family, address.Size);
        address.Buffer.Span[..address.Size].CopyTo(copy.Buffer.Span);
        return copy;
    }

    private static ulong TokenValue(ReadOnlySpan<byte> token) => token.Length == 8 ? BinaryPrimitives.ReadUInt64BigEndian(token) : 0;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _stopping.Cancel();
        _transport.Dispose();
        foreach (var thread in _threads) thread.Join(TimeSpan.FromSeconds(5));
        _confirmables.CancelAll();
        StopObserving();
        lock (_gate) _sweepTimer?.Dispose();
        while (_spareExchanges.TryTake(out var spare)) spare.Deadline?.Dispose();
        List<ClientExchange> waiting;
        lock (_gate)
        {
            waiting = [.. _clientExchanges.Values];
            _clientExchanges.Clear();
        }
        foreach (var exchange in waiting) exchange.Response.TrySetException(new ObjectDisposedException(nameof(CoapEndpoint)));
        // _stopping stays undisposed: it holds no timer, and a datagram handled while the endpoint stops (Inject, a late
        // completion) may still read its token, which a disposed source would answer with ObjectDisposedException.
    }
}
