using System.Net;
using Gateway.Coap.Client;
using Gateway.Coap.Codec;
using Gateway.Coap.Messages;
using Gateway.Coap.Reliability;
using Gateway.Coap.Transport;

namespace Gateway.Coap;

// Client side: outgoing requests and the responses that match them (RFC 7252 §5.3).
public sealed partial class CoapEndpoint
{
    /// <summary>
    /// Sends a request and completes with the response (piggybacked, separate, or NON). A CON is
    /// retransmitted per §4.2 and fails with <see cref="TimeoutException"/> when never ACKed, or
    /// <see cref="CoapResetException"/> on RST. Waiting for a separate response is bounded by the caller's token.
    /// </summary>
    public Task<CoapMessage> SendRequestAsync(IPEndPoint server, CoapCode method, IReadOnlyList<CoapOption> options,
        ReadOnlyMemory<byte> payload = default, bool confirmable = true, CancellationToken cancellationToken = default) =>
        SendRequestCoreAsync(server, method, options, payload, confirmable, _tokens.Next(), cancellationToken);

    private Task<CoapMessage> SendRequestCoreAsync(IPEndPoint server, CoapCode method, IReadOnlyList<CoapOption> options,
        ReadOnlyMemory<byte> payload, bool confirmable, ulong token, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        var to = PeerAddress.From(server).ToSocketAddress(_transport.AddressFamily);
        var peer = PeerAddress.From(to);
        ushort messageId = _messageIds.Next();
        var exchange = new ClientExchange(peer, token, messageId);
        lock (_gate) _clientExchanges[(peer, token)] = exchange;

        var type = confirmable ? CoapMessageType.Confirmable : CoapMessageType.NonConfirmable;
        var bytes = CoapCodec.Encode(new CoapMessage(type, method, messageId, TokenGenerator.ToBytes(token), options, payload));
        if (confirmable)
        {
            _confirmables.Send(bytes, peer, to, messageId, outcome =>
            {
                if (outcome == ConfirmableOutcome.Acknowledged) return;
                Exception failure = outcome switch
                {
                    ConfirmableOutcome.Reset => new CoapResetException($"{server} answered the request with RST"),
                    ConfirmableOutcome.TimedOut => new TimeoutException($"No ACK from {server} after {_options.MaxRetransmit} retransmissions"),
                    _ when cancellationToken.IsCancellationRequested => new OperationCanceledException(cancellationToken),
                    _ => new OperationCanceledException("The endpoint was stopped"),
                };
                FailExchange(exchange, failure);
            });
        }
        else
        {
            _transport.Send(bytes, to);
        }

        if (cancellationToken.CanBeCanceled)
        {
            var registration = cancellationToken.Register(() =>
            {
                _confirmables.Complete(peer, messageId, ConfirmableOutcome.Cancelled);
                FailExchange(exchange, new OperationCanceledException(cancellationToken));
            });
            exchange.Response.Task.ContinueWith(static (_, r) => ((CancellationTokenRegistration)r!).Dispose(), registration, TaskScheduler.Default);
        }
        return exchange.Response.Task;
    }

    private void FailExchange(ClientExchange exchange, Exception failure)
    {
        lock (_gate) _clientExchanges.Remove((exchange.Peer, exchange.Token));
        exchange.Response.TrySetException(failure);
    }

    /// <summary>A response (piggybacked in an ACK, or a CON/NON of its own): match the token (§5.3.2).</summary>
    private void HandleResponse(ReceiveContext context, ReadOnlyMemory<byte> datagram, CoapMessage message, PeerAddress peer)
    {
        ClientExchange? exchange;
        ClientObservation? observation = null;
        if (message.Type != CoapMessageType.Confirmable)
        {
            lock (_gate)
            {
                if (!_clientExchanges.Remove((peer, TokenValue(message.Token.Span)), out exchange))
                    _clientObservations.TryGetValue((peer, TokenValue(message.Token.Span)), out observation);
            }
        }
        else
        {
            Span<byte> reply = stackalloc byte[CoapCodec.HeaderLength];
            bool duplicate;
            lock (_gate)
            {
                // §4.5 applies to responses too: a retransmitted CON response gets the same ACK again.
                var lookup = _deduplicator.CheckAndAdd(peer, message.MessageId, 0, _time.GetTimestamp(), _exchangeLifetime, out var handle, out var cached);
                duplicate = lookup != Deduplicator.Lookup.New;
                if (duplicate)
                {
                    // The peer may have used this Message ID for a request we answered (the cache holds a
                    // piggybacked response, longer than an empty ACK) or one still in progress (nothing
                    // cached): replay exactly what is cached, like HandleRequest (found by the interop fuzz test).
                    reply = cached.Length <= context.SendBuffer.Length ? context.SendBuffer.AsSpan(0, cached.Length) : new byte[cached.Length];
                    cached.CopyTo(reply);
                    exchange = null;
                }
                else
                {
                    if (!_clientExchanges.Remove((peer, TokenValue(message.Token.Span)), out exchange))
                        _clientObservations.TryGetValue((peer, TokenValue(message.Token.Span)), out observation);
                    // §5.2.2 ACK a separate response we wanted (or a notification, RFC 7641 §4.5); §5.3.2 reject one that matches nothing.
                    CoapCodec.Encode(exchange is null && observation is null ? CoapMessageType.Reset : CoapMessageType.Acknowledgement,
                        CoapCode.Empty, message.MessageId, default, [], default, reply);
                    _deduplicator.SetResponse(handle, reply, done: true);
                }
            }
            if (!reply.IsEmpty) _transport.Send(reply, context.Remote);
            if (duplicate)
            {
                Interlocked.Increment(ref Statistics._duplicates);
                return;
            }
            if (exchange is null && observation is null) Interlocked.Increment(ref Statistics._resetsSent);
        }

        if (observation is not null)
        {
            CoapCodec.TryDecode(datagram.ToArray(), out var notification, out _);
            observation.Deliver(notification!);
            return;
        }
        if (exchange is null)
        {
            Interlocked.Increment(ref Statistics._unmatched);
            return;
        }
        // The message aliases the receive buffer; the waiter gets its own copy.
        CoapCodec.TryDecode(datagram.ToArray(), out var owned, out _);
        exchange.Response.TrySetResult(owned!);
    }
}
