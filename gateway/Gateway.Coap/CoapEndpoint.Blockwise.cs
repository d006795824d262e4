using System.Net;
using Gateway.Coap.Blockwise;
using Gateway.Coap.Messages;
using Gateway.Coap.Observe;
using Gateway.Coap.Reliability;
using Gateway.Coap.Server;
using Gateway.Coap.Transport;

namespace Gateway.Coap;

// Server side of RFC 7959 (and the request half of RFC 7641): what happens between dedup and the
// handler for a request carrying Observe/Block/Size options, and to the handler's whole response.
public sealed partial class CoapEndpoint
{
    private static readonly CoapResponse ReservedSzx = CoapResponse.Error(CoapCode.BadRequest, "reserved SZX");
    private static readonly CoapResponse BlockPastEnd = CoapResponse.Error(CoapCode.BadOption, "block past end");
    private static readonly CoapResponse NoTransfer = CoapResponse.Error(CoapCode.RequestEntityIncomplete, "no Block1 transfer");
    private static readonly CoapResponse BadBlock = CoapResponse.Error(CoapCode.BadRequest, "Block1 size != SZX");

    private Block1Reassembler? _block1Instance;
    private Block2Cache? _block2Instance;
    // The last body cut into blocks and its first block, by the response instance they came from. A resource that
    // answers with one cached response (CoapResponse is immutable; the discovery listing does this) gets them back
    // without copying, hashing or slicing again, and a GET of it needs no Block2 cache entry per peer: its later
    // blocks are cut from the same instance again. One reference, so receive threads swap it whole.
    private ShapedBody? _lastShaped;

    private sealed record ShapedBody(CoapResponse Source, CachedBody Body, int Szx, CoapResponse FirstBlock);
    private ITimer? _sweepTimer;
    private bool _sweepArmed;

    private int _preferredSzx => BlockOption.SzxForSize(_options.PreferredBlockSize);
    private long _confirmableInterval => (long)(_options.ObserveConfirmableInterval.TotalSeconds * _time.TimestampFrequency);

    // Created on first use, so an endpoint that never sees a block option holds none of this.
    private Block1Reassembler _block1 => _block1Instance ??= new(_options.MaxBlock1TransfersPerPeer, _options.MaxBlock1Transfers, _options.MaxBodySize);
    private Block2Cache _block2 => _block2Instance ??= new(_options.Block2CacheCapacity, _options.Block2CacheMaxBytes);

    /// <summary>Block1 bodies in reassembly now.</summary>
    public int PartialBodies { get { lock (_gate) return _block1Instance?.Count ?? 0; } }

    /// <summary>Block1 transfers evicted by the caps, and dropped for idleness.</summary>
    public long Block1Evictions { get { lock (_gate) return (_block1Instance?.Evicted ?? 0) + (_block1Instance?.Expired ?? 0); } }

    public int Block2CacheEntries { get { lock (_gate) return _block2Instance?.Count ?? 0; } }

    public long Block2CacheEvictions { get { lock (_gate) return _block2Instance?.Evictions ?? 0; } }

    /// <summary>Current observe relations.</summary>
    public int Observers { get { lock (_gate) return _observe.Count; } }

    /// <summary>
    /// For a request with transfer options: deregistration (RFC 7641 §3.6), Block1 reassembly (RFC
    /// 7959 §2.3) and Block2 blocks served from the cache (§2.4). False when the request was answered
    /// here and the handler must not run.
    /// </summary>
    private bool PrepareTransfer(ReceiveContext context, CoapMessage message, PeerAddress peer, Deduplicator.Handle handle,
        in TransferOptions transfer, out CoapRequest request)
    {
        request = null!;
        if (transfer.ReservedSzx)
        {
            Respond(context, message, handle, ReservedSzx);
            return false;
        }
        if (transfer.Observe == 1 && message.Code.IsSafe) RemoveRelation(peer, message.Token.Span, ObserveRemovalReason.Deregistered);
        var key = RequestKey.From(message.Code, message.Options);
        long now = _time.GetTimestamp();

        if (transfer.Block1 is { } block1)
        {
            Block1Status status;
            byte[]? body;
            lock (_gate)
            {
                status = _block1.Accept(peer, key, block1, message.Payload, transfer.Size1, now, out body);
                if (status == Block1Status.Continue) ArmSweep();
            }
            switch (status)
            {
                case Block1Status.Continue:
                    // RFC 7959 §2.9.1: 2.31 with Block1 echoing NUM, M=1, and our SZX preference (§2.3).
                    Interlocked.Increment(ref Statistics._block1Continues);
                    Respond(context, message, handle, new CoapResponse(CoapCode.Continue, default,
                        [new BlockOption(block1.Number, true, Math.Min(block1.Szx, _preferredSzx)).ToOption(CoapOptionNumber.Block1)]));
                    return false;
                case Block1Status.Incomplete:
                    Interlocked.Increment(ref Statistics._block1Incomplete);
                    Respond(context, message, handle, NoTransfer);
                    return false;
                case Block1Status.TooLarge:
                    // RFC 7959 §2.9.3, §4: 4.13 with Size1 giving the largest body we take.
                    Interlocked.Increment(ref Statistics._block1TooLarge);
                    Respond(context, message, handle, new CoapResponse(CoapCode.RequestEntityTooLarge, default,
                        [CoapOption.FromUInt(CoapOptionNumber.Size1, (uint)_options.MaxBodySize)]));
                    return false;
                case Block1Status.Malformed:
                    Respond(context, message, handle, BadBlock);
                    return false;
            }
            // Complete: the handler sees one request with the whole body and no Block1/Size1.
            Interlocked.Increment(ref Statistics._block1Transfers);
            var options = new List<CoapOption>(message.Options.Count);
            foreach (var option in message.Options)
            {
                if (option.Number is not (CoapOptionNumber.Block1 or CoapOptionNumber.Size1)) options.Add(option);
            }
            message = new CoapMessage(message.Type, message.Code, message.MessageId, message.Token, options, body);
        }

        if (transfer.Block2 is { Number: > 0 } block2)
        {
            CachedBody? cached;
            lock (_gate) _block2.TryGet(peer, key, now, _exchangeLifetime, out cached);
            if (cached is not null)
            {
                Interlocked.Increment(ref Statistics._block2CacheHits);
                int szx = BlockwiseTransfer.ResponseSzx(block2.Szx, ResponseSzx(cached.Response));
                Respond(context, message, handle,
                    BlockwiseTransfer.TrySlice(cached, block2.Number, block2.Szx, szx, transfer.Size2, out var block) ? block : BlockPastEnd);
                return false;
            }
            // Not cached (expired or evicted): a safe method is simply recomputed (the ETag tells the
            // client whether it changed, §2.4); an unsafe one must not run again for a later block.
            if (!message.Code.IsSafe)
            {
                Respond(context, message, handle, NoTransfer);
                return false;
            }
        }

        request = new CoapRequest(message, peer) { Transfer = transfer, Key = key };
        return true;
    }

    /// <summary>
    /// The handler's whole response, made ready for the wire: Observe on an accepted registration,
    /// Block1 echoed on the final block, and a large body cut to the requested block. The plain
    /// path (no transfer options, body within a block) returns the response untouched.
    /// </summary>
    private CoapResponse Shape(CoapRequest request, CoapResponse response, SocketAddress to)
    {
        if (!request.Transfer.Any && response.BlockSource is null && response.Payload.Length <= (response.MaxBlockSize ?? _options.PreferredBlockSize)) return response;
        return ShapeTransfer(request, response, to);
    }

    /// <summary>Our SZX for a response body: the endpoint's, or the body's own smaller limit (<see cref="CoapResponse.MaxBlockSize"/>).</summary>
    private int ResponseSzx(CoapResponse response) =>
        response.MaxBlockSize is { } limit ? Math.Min(BlockOption.SzxForSize(limit), _preferredSzx) : _preferredSzx;

    private CoapResponse ShapeTransfer(CoapRequest request, CoapResponse response, SocketAddress to)
    {
        ref readonly var transfer = ref request.Transfer;
        List<CoapOption>? extra = null;
        if (request.ObserveTarget is { } target)
        {
            if (response.Code.IsSuccess)
            {
                Register(request, target, CopyAddress(to), out uint sequence);
                extra = [CoapOption.FromUInt(CoapOptionNumber.Observe, sequence)];
                if (target.NotificationMaxAge is { } maxAge && response.MaxAge is null) extra.Add(CoapOption.FromUInt(CoapOptionNumber.MaxAge, maxAge));
            }
            else
            {
                // RFC 7641 §4.1: a non-2.xx answer to a registration leaves no entry behind.
                RemoveRelation(request.Peer, request.Message.Token.Span, ObserveRemovalReason.RegistrationFailed);
            }
        }
        if (transfer.Block1 is { } block1) (extra ??= []).Add(new BlockOption(block1.Number, false, Math.Min(block1.Szx, _preferredSzx)).ToOption(CoapOptionNumber.Block1));

        int szx = BlockwiseTransfer.ResponseSzx(transfer.Block2?.Szx, ResponseSzx(response));
        long length = response.BlockSource?.Length ?? response.Payload.Length;
        if (response.BlockSource is { } small && response.Code.IsSuccess && transfer.Block2 is null && length <= 1 << (szx + 4))
        {
            response = BlockwiseTransfer.ReadWhole(response, small);
        }
        if (response.Code.IsSuccess && (transfer.Block2 is not null || length > 1 << (szx + 4)))
        {
            var shaped = _lastShaped is { } last && ReferenceEquals(last.Source, response) ? last : null;
            // A body from a source is not copied: the cache keeps the source and every block is read from it.
            var body = shaped?.Body ?? (response.BlockSource is { } source
                ? new CachedBody(response, source.ETag.ToArray(), source)
                : new CachedBody(new CoapResponse(response.Code, response.Payload.ToArray(), response.Options) { MaxBlockSize = response.MaxBlockSize },
                    BlockwiseTransfer.ETagFor(response)));
            if (length > 1 << (szx + 4) && !(shaped is not null && request.Message.Code.IsSafe))
            {
                var key = request.Key ?? RequestKey.From(request.Message.Code, request.Message.Options);
                lock (_gate) _block2.Put(request.Peer, key, body, _time.GetTimestamp(), _exchangeLifetime);
                Interlocked.Increment(ref Statistics._block2Transfers);
            }
            var requested = transfer.Block2 ?? new BlockOption(0, false, szx);
            // Block 0 depends on the body and our block size only (offset 0, Size2 always on the first block).
            if (requested.Number == 0 && shaped is not null && shaped.Szx == szx) response = shaped.FirstBlock;
            else
            {
                // RFC 7959 §2.2 (a NUM past the end cannot be served): 4.02 Bad Option, as libcoap and Californium answer.
                var whole = response;
                if (!BlockwiseTransfer.TrySlice(body, requested.Number, requested.Szx, szx, transfer.Size2, out response)) return BlockPastEnd;
                if (requested.Number == 0 && whole.BlockSource is null) _lastShaped = new ShapedBody(whole, body, szx, response);
            }
        }
        else if (transfer.Size2 && response.Code.IsSuccess)
        {
            (extra ??= []).Add(CoapOption.FromUInt(CoapOptionNumber.Size2, (uint)response.Payload.Length));
        }
        return extra is null ? response : new CoapResponse(response.Code, response.Payload, [.. response.Options, .. extra]);
    }

    /// <summary>Idle Block1 transfers are dropped by a timer that runs only while some exist. Under the gate.</summary>
    private void ArmSweep()
    {
        if (_sweepArmed) return;
        _sweepArmed = true;
        var period = _options.BlockTransferIdleTimeout / 2;
        if (_sweepTimer is null) _sweepTimer = _time.CreateTimer(static s => ((CoapEndpoint)s!).Sweep(), this, period, period);
        else _sweepTimer.Change(period, period);
    }

    private void Sweep()
    {
        lock (_gate)
        {
            long idleSince = _time.GetTimestamp() - (long)(_options.BlockTransferIdleTimeout.TotalSeconds * _time.TimestampFrequency);
            if (_block1Instance is null || _block1Instance.Expire(idleSince) == 0)
            {
                _sweepArmed = false;
                _sweepTimer?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            }
        }
    }
}
