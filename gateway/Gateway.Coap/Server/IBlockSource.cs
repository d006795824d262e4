namespace Gateway.Coap.Server;

/// <summary>
/// A response body read where it lies (a file on disk), never held whole: the endpoint reads just the
/// block a request asks for, at NUM × block size (RFC 7959 §2.2, §2.4), into a block-sized buffer, so
/// serving a 1 GiB image takes the memory of one block per request.
/// </summary>
public interface IBlockSource
{
    /// <summary>Bytes in the whole body (sent as Size2, RFC 7959 §4).</summary>
    long Length { get; }

    /// <summary>
    /// The ETag every block carries; it must change whenever the bytes do, so a client that sees a
    /// new one mid-transfer starts over (RFC 7959 §2.4). Taken from a digest computed once when the
    /// body was stored, never recomputed per request.
    /// </summary>
    ReadOnlyMemory<byte> ETag { get; }

    /// <summary>
    /// Copies up to <paramref name="destination"/>.Length bytes at <paramref name="offset"/>. Fewer than
    /// asked before <see cref="Length"/> means the body is gone (replaced or deleted): the endpoint
    /// answers 5.03 and the client restarts the transfer.
    /// </summary>
    int Read(long offset, Span<byte> destination);
}
