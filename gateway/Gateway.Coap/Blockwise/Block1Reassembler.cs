using Gateway.Coap.Messages;
using Gateway.Coap.Transport;

namespace Gateway.Coap.Blockwise;

/// <summary>
/// Reassembles Block1 request bodies (RFC 7959 §2.3), keyed by (peer, <see cref="RequestKey"/>).
/// Blocks must arrive in order (the client waits for 2.31 before sending the next, §2.5); a
/// repeat of the last stored block (a retransmission under a new Message ID) is answered again
/// without storing it twice; anything else out of order fails the transfer with 4.08.
/// Caps (reliability S5): partial bodies per peer and in total (the least recently active is
/// evicted and counted), body size, and idle expiry. Not thread-safe: the endpoint's gate.
/// </summary>
internal sealed class Block1Reassembler(int maxPerPeer, int maxTotal, int maxBodySize)
{
    private readonly Dictionary<(PeerAddress Peer, RequestKey Key), Transfer> _transfers = [];
    private readonly Dictionary<PeerAddress, int> _perPeer = [];
    private readonly LinkedList<Transfer> _lru = [];

    public int Count => _transfers.Count;
    public long Evicted { get; private set; }
    public long Expired { get; private set; }

    public Block1Status Accept(PeerAddress peer, RequestKey key, BlockOption block, ReadOnlyMemory<byte> payload, uint? size1,
        long now, out byte[]? body)
    {
        body = null;
        // §2.3: with M set the payload is exactly the block size; the last block is at most that.
        if (block.More ? payload.Length != block.Size : payload.Length > block.Size) return Fail(peer, key, Block1Status.Malformed);
        long offset = (long)block.Number * block.Size;
        if ((size1 is { } announced && announced > (uint)maxBodySize) || offset + payload.Length > maxBodySize)
            return Fail(peer, key, Block1Status.TooLarge);

        _transfers.TryGetValue((peer, key), out var transfer);
        if (block.Number == 0)
        {
            // A first block always starts over (the client restarted the transfer, §2.5).
            if (transfer is not null) Remove(transfer);
            if (!block.More)
            {
                body = payload.ToArray();
                return Block1Status.Complete;
            }
            transfer = Start(peer, key, now);
        }
        else if (transfer is null)
        {
            return Block1Status.Incomplete;
        }
        else if (offset == transfer.LastOffset && payload.Length == transfer.LastLength && offset + payload.Length == transfer.Length)
        {
            Touch(transfer, now);
            return Block1Status.Continue; // the same block again: answer again, store once
        }
        else if (offset != transfer.Length)
        {
            Remove(transfer);
            return Block1Status.Incomplete;
        }

        transfer.Append(payload.Span, (int)offset);
        Touch(transfer, now);
        if (block.More) return Block1Status.Continue;
        Remove(transfer);
        body = transfer.ToArray();
        return Block1Status.Complete;
    }

    /// <summary>Drops transfers idle since before <paramref name="idleSince"/>; returns how many remain.</summary>
    public int Expire(long idleSince)
    {
        while (_lru.First is { } first && first.Value.LastActive <= idleSince)
        {
            Remove(first.Value);
            Expired++;
        }
        return _transfers.Count;
    }

    private Transfer Start(PeerAddress peer, RequestKey key, long now)
    {
        if (_perPeer.GetValueOrDefault(peer) >= maxPerPeer)
        {
            foreach (var candidate in _lru)
            {
                if (candidate.Peer != peer) continue;
                Remove(candidate);
                Evicted++;
                break;
            }
        }
        if (_transfers.Count >= maxTotal)
        {
            Remove(_lru.First!.Value);
            Evicted++;
        }
        var transfer = new Transfer(peer, key) { LastActive = now };
        transfer.Node = _lru.AddLast(transfer);
        _transfers[(peer, key)] = transfer;
        _perPeer[peer] = _perPeer.GetValueOrDefault(peer) + 1;
        return transfer;
    }

    private Block1Status Fail(PeerAddress peer, RequestKey key, Block1Status status)
    {
        if (_transfers.TryGetValue((peer, key), out var transfer)) Remove(transfer);
        return status;
    }

    private void Touch(Transfer transfer, long now)
    {
        transfer.LastActive = now;
        _lru.Remove(transfer.Node);
        _lru.AddLast(transfer.Node);
    }

    private void Remove(Transfer transfer)
    {
        if (!_transfers.Remove((transfer.Peer, transfer.Key))) return;
        _lru.Remove(transfer.Node);
        int left = _perPeer[transfer.Peer] - 1;
        if (left == 0) _perPeer.Remove(transfer.Peer);
        else _perPeer[transfer.Peer] = left;
    }

    private sealed class Transfer(PeerAddress peer, RequestKey key)
    {
        private byte[] _buffer = new byte[1024];

        public PeerAddress Peer { get; } = peer;
        public RequestKey Key { get; } = key;
        public int Length { get; private set; }
        public int LastOffset { get; private set; } = -1;
        public int LastLength { get; private set; }
        public long LastActive { get; set; }
        public LinkedListNode<Transfer> Node { get; set; } = null!;

        public void Append(ReadOnlySpan<byte> block, int offset)
        {
            if (Length + block.Length > _buffer.Length) Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, Length + block.Length));
            block.CopyTo(_buffer.AsSpan(Length));
            LastOffset = offset;
            LastLength = block.Length;
            Length += block.Length;
        }

        public byte[] ToArray() => _buffer.AsSpan(0, Length).ToArray();
    }
}
