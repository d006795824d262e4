using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Gateway.Storage.Content;

/// <summary>
/// The bytes [<see cref="Start"/>, <see cref="Start"/> + <see cref="Length"/>) of a stored blob (a
/// ThingsBoard OTA chunk, or the whole file), read in place.
/// </summary>
public sealed class ContentRange
{
    private readonly ContentReader _reader;

    public ContentRange(ContentReader reader, long start, long length)
    {
        ArgumentNullException.ThrowIfNull(reader);
        if (start < 0 || length < 0 || start + length > reader.Info.Size) throw new ArgumentOutOfRangeException(nameof(length), "range outside the blob");
        (_reader, Start, Length) = (reader, start, length);
        ETag = start == 0 && length == reader.Info.Size ? reader.Info.ETag : Bind(reader.Info.ETag, start, length);
    }

    public long Start { get; }

    public long Length { get; }

    public ContentInfo Info => _reader.Info;

    /// <summary>
    /// Changes whenever the range's bytes do: the blob's stored ETag (SHA-256 prefix, computed once when it
    /// was stored, never per request) for the whole blob; for a part, that ETag bound to the part's position,
    /// so two chunks of one package are told apart.
    /// </summary>
    public byte[] ETag { get; }

    /// <summary>The whole blob.</summary>
    public static ContentRange Whole(ContentReader reader) => new(reader, 0, reader.Info.Size);

    /// <summary>Copies up to <paramref name="destination"/>.Length bytes at <paramref name="offset"/> of the range; fewer at its end or once the blob is gone.</summary>
    public int Read(long offset, Span<byte> destination)
    {
        if (offset >= Length) return 0;
        return _reader.Read(Start + offset, destination[..(int)Math.Min(destination.Length, Length - offset)]);
    }

    private static byte[] Bind(byte[] etag, long start, long length)
    {
        Span<byte> input = stackalloc byte[etag.Length + 16];
        etag.CopyTo(input);
        BinaryPrimitives.WriteInt64BigEndian(input[^16..], start);
        BinaryPrimitives.WriteInt64BigEndian(input[^8..], length);
        return SHA256.HashData(input)[..8];
    }
}
