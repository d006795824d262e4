using System.Buffers;
using System.Net;
using Gateway.Coap.Blockwise;
using Gateway.Coap.Codec;
using Gateway.Coap.Messages;
using Gateway.Coap.Reliability;
using Gateway.Coap.Server;

namespace Gateway.Coap;

// Server side: piggybacked and separate responses (RFC 7252 §5.2).
public sealed partial class CoapEndpoint
{
    /// <summary>The handler finished on the receive thread: piggyback on the ACK (CON) or answer with a NON (§5.2.1, §5.2.3).</summary>
    private void Respond(ReceiveContext context, CoapMessage request, Deduplicator.Handle handle, CoapResponse response)
    {
        if (response.Code.IsEmpty)
        {
            // CoapResponse.NoResponse: answer nothing, and nothing to retransmissions either.
            lock (_gate) _deduplicator.SetResponse(handle, default, done: true);
            return;
        }
        Answer(request.Type, request.MessageId, request.Token.Span, handle, response, context.Length, context.SendBuffer, context.Remote, request);
    }

    /// <summary>
    /// A later block of a safe method's response (RFC 7959 §2.4): served again from the Block2 cache or the
    /// block source, unchanged, so a retransmission is answered by serving it again (RFC 7252 §4.5 allows this
    /// for idempotent requests) instead of keeping a ~1 KiB copy of every block for EXCHANGE_LIFETIME.
    /// </summary>
    private static bool IsRepeatableBlock(CoapMessage request)
    {
        if (!request.Code.IsSafe) return false;
        TransferOptions.Scan(request.Options, out var transfer);
        return transfer.Block2 is { Number: > 0 };
    }

    /// <summary>
    /// Piggybacked on the ACK of a CON, or a NON of its own for a NON (§5.2.1, §5.2.3); what a CON got
    /// is kept for its retransmissions (§4.5), unless it is larger than a dedup slot and
    /// <paramref name="request"/> is a repeatable block.
    /// </summary>
    private void Answer(CoapMessageType requestType, ushort requestMessageId, ReadOnlySpan<byte> token, Deduplicator.Handle handle,
        CoapResponse response, int requestLength, byte[] scratch, SocketAddress to, CoapMessage? request = null)
    {
        bool confirmable = requestType == CoapMessageType.Confirmable;
        var type = confirmable ? CoapMessageType.Acknowledgement : CoapMessageType.NonConfirmable;
        ushort messageId = confirmable ? requestMessageId : _messageIds.Next();
        var bytes = Encode(type, messageId, token, response, requestLength, scratch);
        bool repeat = confirmable && bytes.Length > _options.DeduplicationInlineBytes && request is not null && IsRepeatableBlock(request);
        lock (_gate)
        {
            if (repeat) _deduplicator.SetRepeatable(handle);
            else _deduplicator.SetResponse(handle, confirmable ? bytes : default, done: true);
        }
        _transport.Send(bytes, to);
    }

    /// <summary>An answer outside deduplication (4.00/4.02 rejections are stateless and cheap to repeat).</summary>
    private void SendNow(ReceiveContext context, CoapMessageType type, ushort messageId, ReadOnlySpan<byte> token, CoapResponse response)
    {
        var bytes = Encode(type, messageId, token, response, context.Length, context.SendBuffer);
        _transport.Send(bytes, context.Remote);
    }

    private void SendEmpty(ReceiveContext context, CoapMessageType type, ushort messageId)
    {
        if (type == CoapMessageType.Reset) Interlocked.Increment(ref Statistics._resetsSent);
        var bytes = context.SendBuffer.AsSpan(0, CoapCodec.HeaderLength);
        CoapCodec.Encode(type, CoapCode.Empty, messageId, default, [], default, bytes);
        _transport.Send(bytes, context.Remote);
    }

    /// <summary>
    /// Every answer to a request is encoded here, so every one is held to the amplification limit
    /// (RFC 7252 §11.3: an error is at most <see cref="CoapEndpointOptions.MaxErrorAmplification"/>
    /// times its request of <paramref name="requestLength"/> bytes).
    /// </summary>
    private Span<byte> Encode(CoapMessageType type, ushort messageId, ReadOnlySpan<byte> token, CoapResponse response, int requestLength, byte[] scratch)
    {
        response = AmplificationLimit.Apply(response, requestLength, token.Length, _options.MaxErrorAmplification);
        int length = CoapCodec.GetEncodedLength(token.Length, response.Options, response.Payload.Length);
        // Larger than one datagram buffer only when a resource ignores block-wise; send it whole.
        var buffer = length <= scratch.Length ? scratch : new byte[length];
        CoapCodec.Encode(type, response.Code, messageId, token, response.Options, response.Payload.Span, buffer);
        return buffer.AsSpan(0, length);
    }

    /// <summary>§5.2.2: the handler is slow, so acknowledge now and send the response separately.</summary>
    private void OnSeparateDeadline(ServerExchange exchange)
    {
        Span<byte> ack = stackalloc byte[CoapCodec.HeaderLength];
        lock (_gate)
        {
            if (exchange.Completed || exchange.EmptyAckSent) return;
            // A callback of an earlier use of this (reused) exchange, run after that use ended and this one began:
            // not this use's deadline. (Were it taken for one, an early empty ACK is still correct, §5.2.2; a NON use gets
            // none, §4.3: only a Confirmable message is acknowledged.)
            if (exchange.Type != CoapMessageType.Confirmable || _time.GetElapsedTime(exchange.ArmedAt) < _options.SeparateResponseDelay / 2) return;
            exchange.EmptyAckSent = true;
            CoapCodec.Encode(CoapMessageType.Acknowledgement, CoapCode.Empty, exchange.MessageId, default, [], default, ack);
            // A retransmitted request from now on gets this empty ACK again (§4.5).
            _deduplicator.SetResponse(exchange.Handle, ack, done: true);
        }
        _transport.Send(ack, exchange.To);
    }

    private void CompleteExchange(ServerExchange exchange, CoapResponse response)
    {
        try
        {
            bool separate;
            lock (_gate)
            {
                exchange.Completed = true;
                exchange.Deadline?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
                separate = exchange.EmptyAckSent;
            }
            if (response.Code.IsEmpty)
            {
                // CoapResponse.NoResponse: nothing more (an empty ACK may already have gone out).
                if (!separate) lock (_gate) _deduplicator.SetResponse(exchange.Handle, default, done: true);
            }
            else
            {
                // Encoded into a rented scratch buffer, not the request's own: the response payload may alias it.
                var scratch = ArrayPool<byte>.Shared.Rent(_options.MaxMessageSize);
                try
                {
                    if (!separate) Answer(exchange.Type, exchange.MessageId, exchange.Token.Span, exchange.Handle, response, exchange.RequestLength, scratch, exchange.To);
                    else SendSeparate(exchange, response, scratch);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(scratch);
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(exchange.Buffer);
        }
    }

    /// <summary>§5.2.2: a separate response is a new CON with the request's token, retransmitted until ACKed.</summary>
    private void SendSeparate(ServerExchange exchange, CoapResponse response, byte[] scratch)
    {
        Interlocked.Increment(ref Statistics._separateResponses);
        ushort messageId = _messageIds.Next();
        // The sender keeps its own copies of the message and the address for the retransmissions: the exchange is reused.
        var bytes = Encode(CoapMessageType.Confirmable, messageId, exchange.Token.Span, response, exchange.RequestLength, scratch).ToArray();
        var peer = exchange.Peer;
        _confirmables.Send(bytes, peer, CopyAddress(exchange.To), messageId,
            outcome => Log.SeparateResponseEnded(_logger, peer.ToString(), outcome));
    }
}
