using Gateway.Coap.Messages;
using Gateway.Coap.Server;

namespace Gateway.Coap.Blockwise;

/// <summary>Pure helpers for Block2 slicing (RFC 7959 §2.2–§2.4, §4) shared by responses and notifications.</summary>
internal static class BlockwiseTransfer
{
    /// <summary>
    /// The block size to answer with: the client's SZX if it asked for one, never more than ours
    /// (RFC 7959 §2.4: "MUST use the block size indicated or a smaller size").
    /// </summary>
    public static int ResponseSzx(int? requestedSzx, int preferredSzx) =>
        requestedSzx is { } szx ? Math.Min(szx, preferredSzx) : preferredSzx;

    /// <summary>
    /// An ETag for a body the resource gave none: FNV-1a of the content, so a recomputed body that
    /// did not change keeps its ETag and a client can carry on (RFC 7959 §2.4 asks for ETags to
    /// detect a representation changing mid-transfer).
    /// </summary>
    public static byte[] ETagFor(CoapResponse response)
    {
        if (response.GetOption(CoapOptionNumber.ETag) is { } etag) return etag.Value.ToArray();
        ulong hash = 14695981039346656037UL;
        foreach (byte b in response.Payload.Span) hash = (hash ^ b) * 1099511628211UL;
        hash ^= (ulong)response.Code.Value << 56;
        uint folded = (uint)(hash ^ (hash >> 32));
        return [(byte)(folded >> 24), (byte)(folded >> 16), (byte)(folded >> 8), (byte)folded];
    }

    /// <summary>
    /// Block <paramref name="number"/> (counted in <paramref name="requestedSzx"/> units) of the
    /// whole response, answered in <paramref name="szx"/> units at the same offset (§2.4: a server
    /// using a smaller size answers the block at the same byte offset). False if the offset lies past
    /// the end of the body; the caller answers 4.02 (see <see cref="CoapEndpoint"/>). A body with a
    /// source is read here, one block into a block-sized buffer (the response owns it: the dedup cache
    /// may send it again); if the source lost the body meanwhile the answer is 5.03.
    /// </summary>
    public static bool TrySlice(CachedBody body, uint number, int requestedSzx, int szx, bool includeSize2, out CoapResponse block)
    {
        long offset = (long)number << (requestedSzx + 4);
        long length = body.Length;
        block = null!;
        if (offset > length || (offset == length && length > 0)) return false;
        // RFC 7959 §2.2: NUM has 20 bits, so our blocks reach 2^20 × size (512 MiB in 512-byte blocks). Past
        // that, a client asking for larger blocks gets its own size (§2.4 forbids only larger than asked).
        if (offset >> (szx + 4) > BlockOption.MaxNumber && requestedSzx > szx) szx = requestedSzx;
        if (offset >> (szx + 4) > BlockOption.MaxNumber) return false;
        int size = 1 << (szx + 4);
        uint responseNumber = (uint)(offset >> (szx + 4));
        int count = (int)Math.Min(size, length - offset);
        bool more = offset + count < length;
        var whole = body.Response;
        ReadOnlyMemory<byte> payload;
        if (body.Source is { } source)
        {
            var bytes = new byte[count];
            if (ReadFrom(source, offset, bytes) < count)
            {
                block = Gone;
                return true;
            }
            payload = bytes;
        }
        else
        {
            payload = whole.Payload.Slice((int)offset, count);
        }
        var options = new List<CoapOption>(whole.Options.Count + 3);
        foreach (var option in whole.Options) if (option.Number != CoapOptionNumber.ETag) options.Add(option);
        options.Add(new CoapOption(CoapOptionNumber.ETag, body.ETag));
        options.Add(new BlockOption(responseNumber, more, szx).ToOption(CoapOptionNumber.Block2));
        // RFC 7959 §4: Size2 tells the total size; sent on the first block and whenever asked (Size2=0 in the request).
        if (includeSize2 || responseNumber == 0) options.Add(CoapOption.FromUInt(CoapOptionNumber.Size2, (uint)length));
        block = new CoapResponse(whole.Code, payload, options);
        return true;
    }

    /// <summary>
    /// A body from a source small enough for one message and not asked for block-wise: read whole, with
    /// the source's ETag (RFC 7252 §5.10.6), and answered plainly.
    /// </summary>
    public static CoapResponse ReadWhole(CoapResponse response, IBlockSource source)
    {
        var bytes = new byte[source.Length];
        if (ReadFrom(source, 0, bytes) < bytes.Length) return Gone;
        var options = new List<CoapOption>(response.Options.Count + 1);
        foreach (var option in response.Options) if (option.Number != CoapOptionNumber.ETag) options.Add(option);
        options.Add(new CoapOption(CoapOptionNumber.ETag, source.ETag));
        return new CoapResponse(response.Code, bytes, options) { MaxBlockSize = response.MaxBlockSize };
    }

    /// <summary>
    /// A failed read (a disk error, a source that throws) answers like a vanished body: this runs on the receive
    /// path, where an exception would leave the exchange unanswered and its retransmissions dropped as duplicates.
    /// </summary>
    private static int ReadFrom(IBlockSource source, long offset, Span<byte> destination)
    {
        try
        {
            return source.Read(offset, destination);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ObjectDisposedException)
        {
            return -1;
        }
    }

    /// <summary>The body was replaced or deleted while it was being read: the client starts over and meets the new ETag (RFC 7959 §2.4).</summary>
    private static readonly CoapResponse Gone = CoapResponse.Error(CoapCode.ServiceUnavailable, "content replaced; restart the transfer");
}
