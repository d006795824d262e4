namespace Gateway.Bridge.Firmware;

/// <summary>
/// A hash that consumes fixed-size blocks (Murmur3: 4 or 16 bytes) fed in arbitrary pieces: bytes short of
/// a block wait for the next piece, and what is left at the end is the tail.
/// </summary>
public abstract class BlockwiseHash(int blockSize) : FirmwareHash
{
    private readonly byte[] _pending = new byte[blockSize];
    private int _pendingCount;

    /// <summary>Bytes appended so far.</summary>
    protected long Length { get; private set; }

    /// <summary>The bytes after the last whole block.</summary>
    protected ReadOnlySpan<byte> Tail => _pending.AsSpan(0, _pendingCount);

    public override void Append(ReadOnlySpan<byte> data)
    {
        Length += data.Length;
        if (_pendingCount > 0)
        {
            int take = Math.Min(blockSize - _pendingCount, data.Length);
            data[..take].CopyTo(_pending.AsSpan(_pendingCount));
            _pendingCount += take;
            data = data[take..];
            if (_pendingCount < blockSize) return;
            Block(_pending);
            _pendingCount = 0;
        }
        while (data.Length >= blockSize)
        {
            Block(data[..blockSize]);
            data = data[blockSize..];
        }
        data.CopyTo(_pending);
        _pendingCount = data.Length;
    }

    protected abstract void Block(ReadOnlySpan<byte> block);

    /// <summary>Forgets the blocks, the tail and the length (after <see cref="FirmwareHash.Finish"/>).</summary>
    protected void ResetBlocks() => (Length, _pendingCount) = (0, 0);
}
