using Gateway.Coap.Messages;

namespace Gateway.Coap.Blockwise;

/// <summary>
/// What identifies "the same request" across the blocks of one transfer: the method and every
/// option except those that describe the transfer itself (Observe, Block1, Block2, Size1, Size2).
/// RFC 7959 §2.4: later Block2 requests carry "the same options as the initial request"; §2.5:
/// Block1 blocks likewise; RFC 9175 §3.3: a Request-Tag, being an option, keeps two transfers to
/// the same resource apart. Deliberately not the Message ID: some clients reuse one for every block.
/// Only built for requests that carry block or observe options, never on the plain path.
/// </summary>
internal readonly struct RequestKey : IEquatable<RequestKey>
{
    private readonly byte[] _bytes;
    private readonly int _hash;

    private RequestKey(byte[] bytes)
    {
        _bytes = bytes;
        var hash = new HashCode();
        hash.AddBytes(bytes);
        _hash = hash.ToHashCode();
    }

    public static RequestKey From(CoapCode method, IReadOnlyList<CoapOption> options)
    {
        int length = 1;
        foreach (var option in options) if (!IsTransferOption(option.Number)) length += 4 + option.Value.Length;
        var bytes = new byte[length];
        bytes[0] = method.Value;
        int position = 1;
        foreach (var option in options)
        {
            if (IsTransferOption(option.Number)) continue;
            System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(position), option.Number);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(position + 2), (ushort)option.Value.Length);
            option.Value.Span.CopyTo(bytes.AsSpan(position + 4));
            position += 4 + option.Value.Length;
        }
        return new RequestKey(bytes);
    }

    public static bool IsTransferOption(int number) => number is CoapOptionNumber.Observe or CoapOptionNumber.Block1
        or CoapOptionNumber.Block2 or CoapOptionNumber.Size1 or CoapOptionNumber.Size2;

    public bool Equals(RequestKey other) => _hash == other._hash && _bytes.AsSpan().SequenceEqual(other._bytes);
    public override bool Equals(object? obj) => obj is RequestKey other && Equals(other);
    public override int GetHashCode() => _hash;
}
