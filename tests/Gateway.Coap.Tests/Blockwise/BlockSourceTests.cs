using System.Security.Cryptography;
using Gateway.Coap.Messages;
using Gateway.Coap.Server;
using Gateway.Coap.Tests.Endpoint;
using Gateway.Coap.Tests.Observe;
using Microsoft.Win32.SafeHandles;

namespace Gateway.Coap.Tests.Blockwise;

/// <summary>
/// Block2 bodies read from a file per block (<see cref="IBlockSource"/>, issue 21): a 1 GiB sparse file is
/// served at its start, middle and end with the right bytes, Size2 and ETag (RFC 7959 §2.4, §4), and the
/// serving path allocates per block, never the body.
/// </summary>
public sealed class BlockSourceTests : IDisposable
{
    private const long GiB = 1L << 30;
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"block-source-{Guid.NewGuid():N}.bin");
    private readonly SafeFileHandle _file;

    public BlockSourceTests()
    {
        _file = File.OpenHandle(_path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read, FileOptions.DeleteOnClose);
        RandomAccess.SetLength(_file, GiB); // sparse: nothing written but the markers below
        foreach (long at in new[] { 0L, GiB / 2, GiB - 1024 }) RandomAccess.Write(_file, Marker(at), at);
    }

    public void Dispose() => _file.Dispose();

    private static byte[] Marker(long at) => SHA256.HashData(BitConverter.GetBytes(at));

    private static CoapMessage Get(ushort mid, params CoapOption[] extra) => EndpointHarness.Get(mid, "fw", [0x42], CoapMessageType.Confirmable, extra);

    private (EndpointHarness H, ScriptedHandler Handler, FileSource Source) Server(long length, int blockSize = 1024)
    {
        var source = new FileSource(_file, length, [0xE7, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07]);
        var handler = new ScriptedHandler
        {
            Respond = _ => new(CoapResponse.FromSource(CoapCode.Content, source, CoapOption.FromUInt(CoapOptionNumber.ContentFormat, CoapContentFormat.OctetStream))),
        };
        return (new EndpointHarness(handler, new CoapEndpointOptions { PreferredBlockSize = blockSize }), handler, source);
    }

    [Fact]
    public void OneGiBSparseFile_IsServedAtStartMiddleAndEnd_WithSize2AndTheSourcesETag()
    {
        var (h, handler, source) = Server(GiB);
        using var _ = h;

        h.Send(Get(0x100, Opt.Block2(0, 6)));
        var first = h.Expect();
        Assert.Equal((CoapCode.Content, new BlockOption(0, true, 6), (uint)GiB), (first.Code, Opt.Block2Of(first)!.Value, first.GetUIntOption(CoapOptionNumber.Size2)!.Value));
        Assert.Equal(source.ETag.ToArray(), first.GetOption(CoapOptionNumber.ETag)!.Value.Value.ToArray());
        Assert.Equal(Marker(0), first.Payload.ToArray()[..32]);

        h.Send(Get(0x101, Opt.Block2((uint)(GiB / 2 / 1024), 6)));
        var middle = h.Expect();
        Assert.Equal(new BlockOption((uint)(GiB / 2 / 1024), true, 6), Opt.Block2Of(middle));
        Assert.Equal(Marker(GiB / 2), middle.Payload.ToArray()[..32]);
        Assert.All(middle.Payload.ToArray()[32..], b => Assert.Equal(0, b)); // the hole reads as zeros

        h.Send(Get(0x102, Opt.Block2(BlockOption.MaxNumber, 6))); // the last block NUM can address at 1024 bytes
        var last = h.Expect();
        Assert.Equal((new BlockOption(BlockOption.MaxNumber, false, 6), 1024), (Opt.Block2Of(last)!.Value, last.Payload.Length));
        Assert.Equal(Marker(GiB - 1024), last.Payload.ToArray()[..32]);
        Assert.Equal(source.ETag.ToArray(), last.GetOption(CoapOptionNumber.ETag)!.Value.Value.ToArray());

        Assert.Equal(1, handler.Calls); // later blocks from the cached source, not the handler
        Assert.Equal(3, source.Reads);
    }

    [Fact]
    public void PastOurBlockNumbering_AClientAskingForLargerBlocksGetsItsSize_AndPastTheEndIs402()
    {
        var (h, _, _) = Server(GiB, blockSize: 512);
        using var __ = h;
        h.Send(Get(0x200));
        Assert.Equal(new BlockOption(0, true, 5), Opt.Block2Of(h.Expect()));
        // 1 GiB − 1024 is block 2^21 − 2 in 512-byte blocks, beyond NUM's 20 bits (RFC 7959 §2.2): answered in the 1024 asked for.
        h.Send(Get(0x201, Opt.Block2(BlockOption.MaxNumber, 6)));
        var last = h.Expect();
        Assert.Equal((new BlockOption(BlockOption.MaxNumber, false, 6), 1024), (Opt.Block2Of(last)!.Value, last.Payload.Length));
        Assert.Equal(Marker(GiB - 1024), last.Payload.ToArray()[..32]);

        var (small, _, _) = Server(3000);
        using var ___ = small;
        small.Send(Get(0x300, Opt.Block2(3, 6)));
        Assert.Equal(CoapCode.BadOption, small.Expect().Code);
    }

    [Fact]
    public void SmallBody_WithoutBlock2_IsOnePlainResponseWithTheETag_AndAVanishedOrUnreadableBodyIs503()
    {
        var (h, _, source) = Server(100);
        using var _ = h;
        h.Send(Get(0x400));
        var whole = h.Expect();
        Assert.Null(Opt.Block2Of(whole));
        Assert.Equal(100, whole.Payload.Length);
        Assert.Equal(source.ETag.ToArray(), whole.GetOption(CoapOptionNumber.ETag)!.Value.Value.ToArray());

        var (big, _, bigSource) = Server(GiB);
        using var __ = big;
        big.Send(Get(0x401, Opt.Block2(0, 6)));
        Assert.Equal(CoapCode.Content, big.Expect().Code);
        bigSource.Gone = true; // replaced or deleted mid-transfer
        big.Send(Get(0x402, Opt.Block2(1, 6)));
        Assert.Equal(CoapCode.ServiceUnavailable, big.Expect().Code);
        bigSource.Gone = false;
        bigSource.Fails = true; // a disk error: answered all the same, never left for the retransmissions to hit the dedup
        big.Send(Get(0x403, Opt.Block2(2, 6)));
        Assert.Equal(CoapCode.ServiceUnavailable, big.Expect().Code);
    }

    [Fact]
    public void RetransmittedLaterBlock_IsServedAgainFromTheSource_NotFromAKeptCopy_AndTheFirstBlockIsReplayed()
    {
        var (h, handler, source) = Server(GiB);
        using var _ = h;
        h.Send(Get(0x600, Opt.Block2(0, 6)));
        var first = h.ExpectBytes();
        h.Send(Get(0x600, Opt.Block2(0, 6)));   // block 0 ran the handler: its answer is kept and replayed (RFC 7252 §4.5)
        Assert.Equal(first, h.ExpectBytes());
        Assert.Equal((1, 1), (handler.Calls, source.Reads));

        h.Send(Get(0x601, Opt.Block2(7, 6)));
        var seventh = h.ExpectBytes();
        h.Send(Get(0x601, Opt.Block2(7, 6)));   // a retransmission: the same ACK, read again (§4.5 allows it for GET)
        Assert.Equal(seventh, h.ExpectBytes());
        h.Send(Get(0x601, Opt.Block2(7, 6)));
        Assert.Equal(seventh, h.ExpectBytes());
        Assert.Equal((1, 3), (handler.Calls, source.Reads - 1));
        Assert.Equal(3, h.Endpoint.Statistics.Duplicates);
    }

    [Fact]
    public void ServingManyBlocks_AllocatesPerBlock_NeverTheBody()
    {
        var (h, _, source) = Server(GiB);
        using var _ = h;
        h.Send(Get(0x500, Opt.Block2(0, 6)));
        h.Expect();
        const int blocks = 2000;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (uint i = 1; i <= blocks; i++)
        {
            // Spread over the whole file: the cost must not depend on where the block lies.
            h.Send(Get((ushort)(0x500 + i), Opt.Block2(i * 500, 6)));
            Assert.Equal(1024, h.Expect().Payload.Length);
        }
        long perBlock = (GC.GetAllocatedBytesForCurrentThread() - before) / blocks;
        // The block's own 1024-byte buffer is allocated here (so the measurement covers the serving path),
        // plus options and the datagram; never anything near the body's 1 GiB.
        Assert.InRange(perBlock, 1024, 16 * 1024);
        Assert.Equal(blocks + 1, source.Reads);
    }

    private sealed class FileSource(SafeFileHandle file, long length, byte[] etag) : IBlockSource
    {
        public long Length { get; } = length;
        public ReadOnlyMemory<byte> ETag { get; } = etag;
        public int Reads;
        public bool Gone, Fails;

        public int Read(long offset, Span<byte> destination)
        {
            Interlocked.Increment(ref Reads);
            if (Fails) throw new IOException("Input/output error");
            return Gone ? 0 : RandomAccess.Read(file, destination, offset);
        }
    }
}
