using Gateway.Coap.Server;
using Gateway.Storage.Content;

namespace Gateway.Devices.Coap;

/// <summary>A stored blob, or a range of it, as a CoAP Block2 body read block by block from its file (RFC 7959 §2.4).</summary>
internal sealed class ContentBlockSource(ContentRange range) : IBlockSource
{
    public long Length => range.Length;

    public ReadOnlyMemory<byte> ETag { get; } = range.ETag;

    public int Read(long offset, Span<byte> destination) => range.Read(offset, destination);
}
