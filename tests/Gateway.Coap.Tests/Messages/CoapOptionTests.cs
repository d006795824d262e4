using Gateway.Coap.Messages;

namespace Gateway.Coap.Tests.Messages;

public class CoapOptionTests
{
    [Theory]
    // RFC 7252 §3.2: uint in network byte order without leading zero bytes; 0 is the empty value.
    [InlineData(0u, "")]
    [InlineData(1u, "01")]
    [InlineData(255u, "ff")]
    [InlineData(256u, "0100")]
    [InlineData(65535u, "ffff")]
    [InlineData(65536u, "010000")]
    [InlineData(uint.MaxValue, "ffffffff")]
    public void FromUInt_UsesShortestForm(uint value, string hex)
    {
        var option = CoapOption.FromUInt(CoapOptionNumber.MaxAge, value);
        Assert.Equal(hex, Hex.Of(option.Value.Span));
        Assert.True(option.TryGetUInt(out uint back));
        Assert.Equal(value, back);
    }

    [Fact]
    public void TryGetUInt_LeadingZerosOnReceipt_AreTolerated()
    {
        Assert.True(new CoapOption(CoapOptionNumber.MaxAge, Hex.Bytes("0001")).TryGetUInt(out uint value));
        Assert.Equal(1u, value);
    }

    [Fact]
    public void TryGetUInt_MoreThanFourBytes_Fails() =>
        Assert.False(new CoapOption(CoapOptionNumber.MaxAge, new byte[5]).TryGetUInt(out _));

    [Theory]
    // RFC 7252 §5.4.6 / Table 4: C = odd, U = bit 1, N = (n & 0x1e) == 0x1c.
    [InlineData(CoapOptionNumber.IfMatch, true, false, false)]
    [InlineData(CoapOptionNumber.UriHost, true, true, false)]
    [InlineData(CoapOptionNumber.ETag, false, false, false)]
    [InlineData(CoapOptionNumber.IfNoneMatch, true, false, false)]
    [InlineData(CoapOptionNumber.UriPort, true, true, false)]
    [InlineData(CoapOptionNumber.LocationPath, false, false, false)]
    [InlineData(CoapOptionNumber.UriPath, true, true, false)]
    [InlineData(CoapOptionNumber.ContentFormat, false, false, false)]
    [InlineData(CoapOptionNumber.MaxAge, false, true, false)]
    [InlineData(CoapOptionNumber.UriQuery, true, true, false)]
    [InlineData(CoapOptionNumber.Accept, true, false, false)]
    [InlineData(CoapOptionNumber.LocationQuery, false, false, false)]
    [InlineData(CoapOptionNumber.ProxyUri, true, true, false)]
    [InlineData(CoapOptionNumber.ProxyScheme, true, true, false)]
    [InlineData(CoapOptionNumber.Size1, false, false, true)]
    [InlineData(CoapOptionNumber.Size2, false, false, true)]   // RFC 7959 §4
    [InlineData(CoapOptionNumber.Block2, true, true, false)]   // RFC 7959 §2.1
    [InlineData(CoapOptionNumber.Block1, true, true, false)]
    [InlineData(CoapOptionNumber.Observe, false, true, false)] // RFC 7641 §2
    public void NumberBits_GiveCriticalUnsafeNoCacheKey(int number, bool critical, bool @unsafe, bool noCacheKey)
    {
        Assert.Equal(critical, CoapOptionNumber.IsCritical(number));
        Assert.Equal(@unsafe, CoapOptionNumber.IsUnsafe(number));
        if (!@unsafe) Assert.Equal(noCacheKey, CoapOptionNumber.IsNoCacheKey(number));
        Assert.True(CoapOptionNumber.IsRecognized(number));
    }

    [Fact]
    public void IsRecognized_UnregisteredNumber_IsFalse()
    {
        Assert.False(CoapOptionNumber.IsRecognized(9));
        Assert.False(CoapOptionNumber.IsRecognized(65001));
    }

    [Theory]
    // RFC 7959 §2.2: NUM << 4 | M << 3 | SZX; size = 2^(SZX+4).
    [InlineData(0x06u, 0u, false, 6, 1024)]
    [InlineData(0x1Eu, 1u, true, 6, 1024)]
    [InlineData(0x20u, 2u, false, 0, 16)]
    [InlineData(0xFFFFFEu, 0xFFFFFu, true, 6, 1024)]
    public void BlockOption_RoundTrips(uint encoded, uint num, bool more, int szx, int size)
    {
        var block = BlockOption.Decode(encoded);
        Assert.Equal(new BlockOption(num, more, szx), block);
        Assert.Equal(size, block.Size);
        Assert.Equal(encoded, block.Encode());
    }

    [Theory]
    [InlineData(16, 0)]
    [InlineData(1024, 6)]
    [InlineData(1000, 5)]
    [InlineData(4096, 6)]
    public void BlockOption_SzxForSize_RoundsDown(int size, int szx) => Assert.Equal(szx, BlockOption.SzxForSize(size));

    [Fact]
    public void CoapCode_FormatsClassDotDetail()
    {
        Assert.Equal("4.04", CoapCode.NotFound.ToString());
        Assert.Equal(0x84, CoapCode.NotFound.Value);
        Assert.Equal("2.31", CoapCode.Continue.ToString());
        Assert.True(CoapCode.Get.IsRequest);
        Assert.False(CoapCode.Empty.IsRequest);
        Assert.True(CoapCode.ServiceUnavailable.IsResponse);
        Assert.False(CoapCode.From(1, 0).IsResponse); // class 1 is reserved (§12.1)
    }
}
