using System.Buffers;
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
        bool confirmable = request.Type == CoapMessageType.Confirmable;
        if (response.Code.IsEmpty)
        {
            // CoapResponse.NoResponse: answer nothing, and nothing to retransmissions either.
            lock (_gate) _deduplicator.SetResponse(handle, default, done: true);
            return;
        }
        var type = confirmable ? CoapMessageType.Acknowledgement : CoapMessageType.NonConfirmable;
        ushort messageId = confirmable ? request.MessageId : _messageIds.Next();
        response = AmplificationLimit.Apply(response, context.Length, request.Token.Length, _options.MaxErrorAmplification);
        var bytes = Encode(type, messageId, request.Token.Span, response, context.SendBuffer);
        lock (_gate) _deduplicator.SetResponse(handle, confirmable ? bytes : default, done: true);
        _transport.Send(bytes, context.Remote);
    }

    /// <summary>An answer outside deduplication (4.00/4.02 rejections are stateless and cheap to repeat).</summary>
    private void SendNow(ReceiveContext context, CoapMessageType type, ushort messageId, ReadOnlySpan<byte> token, CoapResponse response)
    {
        response = AmplificationLimit.Apply(response, context.Length, token.Length, _options.MaxErrorAmplification);
        var bytes = Encode(type, messageId, token, response, context.SendBuffer);
        _transport.Send(bytes, context.Remote);
    }

    private void SendEmpty(ReceiveContext context, CoapMessageType type, ushort messageId)
    {
        if (type == CoapMessageType.Reset) Interlocked.Increment(ref Statistics._resetsSent);
        var bytes = context.SendBuffer.AsSpan(0, CoapCodec.HeaderLength);
        CoapCodec.Encode(type, CoapCode.Empty, messageId, default, [], default, bytes);
        _transport.Send(bytes, context.Remote);
    }

    private static Span<byte> Encode(CoapMessageType type, ushort messageId, ReadOnlySpan<byte> token, CoapResponse response, byte[] scratch)
    {
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
            response = AmplificationLimit.Apply(response, exchange.RequestLength, exchange.Token.Length, _options.MaxErrorAmplification);
            lock (_gate)
            {
                exchange.Completed = true;
                exchange.Deadline?.Dispose();
                separate = exchange.EmptyAckSent;
            }
            if (response.Code.IsEmpty)
            {
                // CoapResponse.NoResponse: nothing more (an empty ACK may already have gone out).
                if (!separate) lock (_gate) _deduplicator.SetResponse(exchange.Handle, default, done: true);
            }
            else if (!separate)
            {
                // Piggybacked on the ACK, or a NON answer (§5.2.1, §5.2.3): encoded into a rented buffer (the
                // response payload may alias the request's datagram buffer, so not into that one).
                bool confirmable = exchange.Type == CoapMessageType.Confirmable;
                var type = confirmable ? CoapMessageType.Acknowledgement : CoapMessageType.NonConfirmable;
                ushort messageId = confirmable ? exchange.MessageId : _messageIds.Next();
                var rented = ArrayPool<byte>.Shared.Rent(CoapCodec.GetEncodedLength(exchange.Token.Length, response.Options, response.Payload.Length));
                try
                {
                    var bytes = rented.AsSpan(0, CoapCodec.Encode(type, response.Code, messageId, exchange.Token, response.Options, response.Payload.Span, rented));
                    lock (_gate) _deduplicator.SetResponse(exchange.Handle, confirmable ? bytes : default, done: true);
                    _transport.Send(bytes, exchange.To);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(rented);
                }
            }
            else
            {
                // §5.2.2: a separate response is a new CON with the request's token, retransmitted until ACKed.
                Interlocked.Increment(ref Statistics._separateResponses);
                ushort messageId = _messageIds.Next();
                var bytes = new byte[CoapCodec.GetEncodedLength(exchange.Token.Length, response.Options, response.Payload.Length)];
                CoapCodec.Encode(CoapMessageType.Confirmable, response.Code, messageId, exchange.Token, response.Options, response.Payload.Span, bytes);
                _confirmables.Send(bytes, exchange.Peer, exchange.To, messageId,
                    outcome => Log.SeparateResponseEnded(_logger, exchange.Peer.ToString(), outcome));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(exchange.Buffer);
        }
    }
}
