using System.Numerics;

namespace Gateway.Cbor.Tests.Reader;

public class CborReaderIntegerTests
{
    [Theory]
    [InlineData("00", 0L)]
    [InlineData("17", 23L)]
    [InlineData("1818", 24L)]
    [InlineData("1903e8", 1000L)]
    [InlineData("1b7fffffffffffffff", long.MaxValue)]
    [InlineData("20", -1L)]
    [InlineData("3903e7", -1000L)]
    [InlineData("3b7fffffffffffffff", long.MinValue)]
    public void ReadInt64_ValidValues_ReturnsValue(string hex, long expected)
    {
        var reader = new CborReader(Convert.FromHexString(hex));
        Assert.Equal(expected, reader.ReadInt64());
        Assert.Equal(CborReaderState.Finished, reader.PeekState());
    }

    [Theory]
    [InlineData("1b8000000000000000")]
    [InlineData("1bffffffffffffffff")]
    [InlineData("3b8000000000000000")]
    public void ReadInt64_OutOfRangeValues_ShouldThrowOverflowExceptionAndConsumeNothing(string hex)
    {
        var reader = new CborReader(Convert.FromHexString(hex));
        Assert.Throws<OverflowException>(() => reader.ReadInt64());
        Assert.Equal(hex.Length / 2, reader.BytesRemaining);
    }

    [Theory]
    [InlineData("1a80000000")]
    [InlineData("3a80000000")]
    public void ReadInt32_OutOfRange_ShouldThrowOverflowException(string hex)
    {
        var reader = new CborReader(Convert.FromHexString(hex));
        Assert.Throws<OverflowException>(() => reader.ReadInt32());
        Assert.Equal(5, reader.BytesRemaining);
    }

    [Fact]
    public void ReadUInt64_NegativeInteger_ShouldThrowOverflowException()
    {
        var reader = new CborReader(Convert.FromHexString("20"));
        Assert.Throws<OverflowException>(() => reader.ReadUInt64());
        Assert.Throws<OverflowException>(() => reader.ReadUInt32());
        Assert.Equal(1, reader.BytesRemaining);
        Assert.Equal(0UL, reader.ReadCborNegativeIntegerRepresentation());
    }

    [Theory]
    [InlineData("40")]
    [InlineData("60")]
    [InlineData("80")]
    [InlineData("a0")]
    [InlineData("f4")]
    [InlineData("f6")]
    [InlineData("f93c00")]
    [InlineData("c000")]
    public void ReadInt64_OtherTypes_ShouldThrowInvalidOperationExceptionAndConsumeNothing(string hex)
    {
        var reader = new CborReader(Convert.FromHexString(hex));
        Assert.Throws<InvalidOperationException>(() => reader.ReadInt64());
        Assert.Equal(hex.Length / 2, reader.BytesRemaining);
    }

    [Theory]
    [InlineData("18")]
    [InlineData("19ff")]
    [InlineData("1a000000")]
    [InlineData("1b00000000000000")]
    public void ReadInt64_TruncatedArgument_ShouldThrowCborContentException(string hex)
    {
        var reader = new CborReader(Convert.FromHexString(hex));
        var e = Assert.Throws<CborContentException>(() => reader.ReadInt64());
        Assert.Equal(CborContentError.EndOfData, e.Error);
        Assert.Equal(hex.Length / 2, reader.BytesRemaining);
    }

    [Theory]
    [InlineData("1c", CborContentError.ReservedAdditionalInfo)]
    [InlineData("1d", CborContentError.ReservedAdditionalInfo)]
    [InlineData("3e", CborContentError.ReservedAdditionalInfo)]
    [InlineData("1f", CborContentError.IndefiniteLengthNotAllowed)]
    [InlineData("3f", CborContentError.IndefiniteLengthNotAllowed)]
    public void PeekState_MalformedIntegerHeaders_ShouldThrowCborContentException(string hex, CborContentError expected)
    {
        var reader = new CborReader(Convert.FromHexString(hex));
        Assert.Equal(expected, Assert.Throws<CborContentException>(() => reader.PeekState()).Error);
        Assert.Equal(expected, Assert.Throws<CborContentException>(() => reader.ReadInt64()).Error);
    }

    [Theory]
    [InlineData("1817")] // 23 in two bytes
    [InlineData("1900ff")]
    [InlineData("1a0000ffff")]
    [InlineData("1b00000000ffffffff")]
    public void ReadInt64_NonShortestArgument_LaxAndStrictAccept_CanonicalRejects(string hex)
    {
        byte[] cbor = Convert.FromHexString(hex);
        new CborReader(cbor, CborConformanceMode.Lax).ReadInt64();
        new CborReader(cbor, CborConformanceMode.Strict).ReadInt64();
        var canonical = new CborReader(cbor, CborConformanceMode.Canonical);
        Assert.Equal(CborContentError.NonCanonicalArgument, Assert.Throws<CborContentException>(() => canonical.ReadInt64()).Error);
        Assert.Equal(cbor.Length, canonical.BytesRemaining);
    }

    [Theory]
    [InlineData("c249010000000000000000", "18446744073709551616")]
    [InlineData("c349010000000000000000", "-18446744073709551617")]
    [InlineData("c240", "0")]
    [InlineData("c25f4101ff", "1")]
    [InlineData("3bffffffffffffffff", "-18446744073709551616")]
    [InlineData("1bffffffffffffffff", "18446744073709551615")]
    public void ReadBigInteger_ValidEncodings_ReturnsValue(string hex, string expected)
    {
        var reader = new CborReader(Convert.FromHexString(hex));
        Assert.Equal(BigInteger.Parse(expected), reader.ReadBigInteger());
        Assert.Equal(0, reader.BytesRemaining);
    }

    [Theory]
    [InlineData("c201", CborContentError.InvalidTagContent)]
    [InlineData("c26161", CborContentError.InvalidTagContent)]
    [InlineData("c245010203", CborContentError.LengthExceedsRemainingBytes)]
    public void ReadBigInteger_InvalidContent_ThrowsAndConsumesNothing(string hex, CborContentError expected)
    {
        var reader = new CborReader(Convert.FromHexString(hex));
        Assert.Equal(expected, Assert.Throws<CborContentException>(() => reader.ReadBigInteger()).Error);
        Assert.Equal(hex.Length / 2, reader.BytesRemaining);
        Assert.Equal(CborReaderState.Tag, reader.PeekState());
    }

    [Fact]
    public void ReadBigInteger_CanonicalRejectsBignumThatFitsOrLeadingZero()
    {
        Assert.Throws<CborContentException>(() => new CborReader(Convert.FromHexString("c24101"), CborConformanceMode.Canonical).ReadBigInteger());
        Assert.Throws<CborContentException>(() => new CborReader(Convert.FromHexString("c2490001000000000000000000"[..22]), CborConformanceMode.Canonical).ReadBigInteger());
        Assert.Equal(BigInteger.One, new CborReader(Convert.FromHexString("c24101"), CborConformanceMode.Strict).ReadBigInteger());
    }

    [Fact]
    public void ReadBigInteger_OtherTag_ShouldThrowInvalidOperationException()
    {
        var reader = new CborReader(Convert.FromHexString("c100"));
        Assert.Throws<InvalidOperationException>(() => reader.ReadBigInteger());
        Assert.Equal(2, reader.BytesRemaining);
    }
}
