namespace Gateway.Coap.Reliability;

/// <summary>
/// 8-byte request tokens: a random 32-bit prefix per endpoint (RFC 7252 §5.3.1 asks for enough
/// randomness to resist spoofed responses) followed by a 32-bit counter, unique per endpoint
/// lifetime without a draw from the RNG per request.
/// </summary>
internal sealed class TokenGenerator
{
    private readonly ulong _prefix = (ulong)OsRandom.NextUInt32() << 32;
    private int _counter = (int)(OsRandom.NextUInt32() & int.MaxValue);

    public ulong Next() => _prefix | (uint)Interlocked.Increment(ref _counter);

    public static byte[] ToBytes(ulong token)
    {
        var bytes = new byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(bytes, token);
        return bytes;
    }
}
