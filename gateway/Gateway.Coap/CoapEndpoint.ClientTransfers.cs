using System.Net;
using System.Runtime.CompilerServices;
using Gateway.Coap.Blockwise;
using Gateway.Coap.Client;
using Gateway.Coap.Messages;
using Gateway.Coap.Observe;
using Gateway.Coap.Transport;

namespace Gateway.Coap;

// Client side of RFC 7959 and RFC 7641: whole-body requests and observations over SendRequestAsync.
public sealed partial class CoapEndpoint
{
    private readonly Dictionary<(PeerAddress Peer, ulong Token), ClientObservation> _clientObservations = [];

    /// <summary>
    /// Sends a request and returns the response with its whole body: a payload larger than
    /// <see cref="CoapEndpointOptions.PreferredBlockSize"/> goes out in Block1 blocks (RFC 7959 §2.5,
    /// following the server's smaller SZX from 2.31), and a Block2 response is fetched block by
    /// block and joined (§2.4; the ETag must stay the same, else <see cref="InvalidDataException"/>).
    /// </summary>
    public async Task<CoapMessage> RequestAsync(IPEndPoint server, CoapCode method, IReadOnlyList<CoapOption> options,
        ReadOnlyMemory<byte> payload = default, CancellationToken cancellationToken = default)
    {
        CoapMessage response;
        int szx = _preferredSzx;
        if (payload.Length <= 1 << (szx + 4))
        {
            response = await SendRequestAsync(server, method, options, payload, true, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            int offset = 0;
            while (true)
            {
                int size = 1 << (szx + 4), count = Math.Min(size, payload.Length - offset);
                bool more = offset + count < payload.Length;
                var blockOptions = new List<CoapOption>(options) { new BlockOption((uint)(offset >> (szx + 4)), more, szx).ToOption(CoapOptionNumber.Block1) };
                if (offset == 0) blockOptions.Add(CoapOption.FromUInt(CoapOptionNumber.Size1, (uint)payload.Length)); // §4: announce the size
                response = await SendRequestAsync(server, method, blockOptions, payload.Slice(offset, count), true, cancellationToken).ConfigureAwait(false);
                if (!more || response.Code != CoapCode.Continue) break;
                if (response.GetUIntOption(CoapOptionNumber.Block1) is { } echoed && BlockOption.Decode(echoed).Szx < szx)
                    szx = BlockOption.Decode(echoed).Szx; // §2.3: heed the server's preference from the next block on
                offset += count;
            }
        }
        return await FetchRemainingBlocksAsync(server, method, options, response, cancellationToken).ConfigureAwait(false);
    }

    private async Task<CoapMessage> FetchRemainingBlocksAsync(IPEndPoint server, CoapCode method, IReadOnlyList<CoapOption> options,
        CoapMessage first, CancellationToken cancellationToken)
    {
        if (first.GetUIntOption(CoapOptionNumber.Block2) is not { } raw || !BlockOption.Decode(raw).More) return first;
        var block = BlockOption.Decode(raw);
        var etag = first.GetOption(CoapOptionNumber.ETag)?.Value.ToArray() ?? [];
        var body = new MemoryStream();
        body.Write(first.Payload.Span);
        var plain = options.Where(o => !RequestKey.IsTransferOption(o.Number)).ToList();
        while (block.More)
        {
            // §2.4: the same request again with the next block number (no payload, no Observe).
            var next = new BlockOption((uint)(body.Length >> (block.Szx + 4)), false, block.Szx);
            var response = await SendRequestAsync(server, method, [.. plain, next.ToOption(CoapOptionNumber.Block2)], default, true, cancellationToken).ConfigureAwait(false);
            if (!response.Code.IsSuccess) return response;
            if (!(response.GetOption(CoapOptionNumber.ETag)?.Value.ToArray() ?? []).AsSpan().SequenceEqual(etag))
                throw new InvalidDataException("The representation changed during the block-wise transfer (ETag differs)");
            block = response.GetUIntOption(CoapOptionNumber.Block2) is { } r ? BlockOption.Decode(r) : default;
            body.Write(response.Payload.Span);
        }
        var wholeOptions = first.Options.Where(o => o.Number != CoapOptionNumber.Block2).ToList();
        return new CoapMessage(first.Type, first.Code, first.MessageId, first.Token, wholeOptions, body.ToArray());
    }

    /// <summary>
    /// Observes a resource (RFC 7641): the first response, then every notification that is newer by
    /// the §3.4 rule (older or duplicate ones are skipped), each with its whole body (a Block2
    /// notification is completed with GETs, RFC 7959 §2.6). Ends when the server answers without
    /// Observe or with an error; cancelling deregisters (GET with Observe=1, §3.6).
    /// </summary>
    public async IAsyncEnumerable<CoapMessage> ObserveAsync(IPEndPoint server, IReadOnlyList<CoapOption> options,
        bool confirmable = true, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        var peer = PeerAddress.From(PeerAddress.From(server).ToSocketAddress(_transport.AddressFamily));
        ulong token = _tokens.Next();
        var observation = new ClientObservation(peer, token);
        var plain = options.Where(o => !RequestKey.IsTransferOption(o.Number)).ToList();
        lock (_gate) _clientObservations[(peer, token)] = observation;
        try
        {
            var first = await SendRequestCoreAsync(server, CoapCode.Get, [.. plain, CoapOption.FromUInt(CoapOptionNumber.Observe, 0)],
                default, confirmable, token, cancellationToken).ConfigureAwait(false);
            bool registered = first.Code.IsSuccess && first.GetUIntOption(CoapOptionNumber.Observe) is not null;
            uint lastNumber = first.GetUIntOption(CoapOptionNumber.Observe) ?? 0;
            var lastTime = _time.GetElapsedTime(0);
            yield return await FetchRemainingBlocksAsync(server, CoapCode.Get, plain, first, cancellationToken).ConfigureAwait(false);
            if (!registered) yield break;

            while (true)
            {
                var notification = await observation.Notifications.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                if (notification.GetUIntOption(CoapOptionNumber.Observe) is not { } number)
                {
                    yield return notification; // §3.2: a final response without Observe ends the observation
                    yield break;
                }
                var now = _time.GetElapsedTime(0);
                if (!ObserveSequence.IsNewer(lastNumber, lastTime, number, now)) continue;
                (lastNumber, lastTime) = (number, now);
                yield return await FetchRemainingBlocksAsync(server, CoapCode.Get, plain, notification, cancellationToken).ConfigureAwait(false);
                if (!notification.Code.IsSuccess) yield break;
            }
        }
        finally
        {
            lock (_gate) _clientObservations.Remove((peer, token));
            if (_disposed == 0)
            {
                // §3.6: deregister explicitly; fire and forget (an unmatched later notification gets RST anyway).
                _ = SendRequestCoreAsync(server, CoapCode.Get, [.. plain, CoapOption.FromUInt(CoapOptionNumber.Observe, 1)],
                    default, confirmable, token, CancellationToken.None).ContinueWith(static t => _ = t.Exception, TaskScheduler.Default);
            }
        }
    }
}
