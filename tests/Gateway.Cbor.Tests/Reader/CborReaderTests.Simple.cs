namespace Gateway.Cbor.Tests.Reader;

public class CborReaderSimpleTests
{
    [Theory]
    [InlineData("f4", CborSimpleValue.False)]
    [InlineData("f5", CborSimpleValue.True)]
    [InlineData("f6", CborSimpleValue.Null)]
    [InlineData("f7", CborSimpleValue.Undefined)]
    [InlineData("f0", (CborSimpleValue)16)] // RFC 8949 Appendix A
    [InlineData("e0", (CborSimpleValue)0)]
    [InlineData("f820", (CborSimpleValue)32)]
    [InlineData("f8ff", (CborSimpleValue)255)] // RFC 8949 Appendix A
    public void ReadSimpleValue_Valid(string hex, CborSimpleValue expected)
    {
        Assert.Equal(expected, new CborReader(Convert.FromHexString(hex)).ReadSimpleValue());
    }

    [Theory]
    [InlineData("f800")]
    [InlineData("f818")]
    [InlineData("f81f")]
    public void ReadSimpleValue_TwoByteFormBelow32_IsMalformed(string hex)
    {
        var reader = new CborReader(Convert.FromHexString(hex), CborConformanceMode.Lax);
        Assert.Equal(CborContentError.InvalidSimpleValueEncoding, Assert.Throws<CborContentException>(() => reader.ReadSimpleValue()).Error);
        Assert.Equal(2, reader.BytesRemaining);
    }

    [Theory]
    [InlineData("fc")]
    [InlineData("fd")]
    [InlineData("fe")]
    public void PeekState_ReservedMajor7_IsMalformed(string hex)
    {
        Assert.Equal(CborContentError.ReservedAdditionalInfo, Assert.Throws<CborContentException>(() => new CborReader(Convert.FromHexString(hex)).PeekState()).Error);
    }

    [Fact]
    public void ReadBoolean_AndNull_TypeErrors()
    {
        var reader = new CborReader(Convert.FromHexString("f6"));
        Assert.Throws<InvalidOperationException>(() => reader.ReadBoolean());
        Assert.Throws<InvalidOperationException>(() => reader.ReadDouble());
        reader.ReadNull();
        Assert.Throws<InvalidOperationException>(() => reader.ReadNull());
    }

    [Theory]
    [InlineData("f93c00", 1.0)]
    [InlineData("fa3f800000", 1.0)]
    [InlineData("fb3ff0000000000000", 1.0)]
    [InlineData("f90001", 5.960464477539063e-8)] // smallest subnormal half
    [InlineData("f903ff", 6.097555160522461e-5)] // largest subnormal half
    public void ReadDouble_AnyWidth(string hex, double expected)
    {
        Assert.Equal(expected, new CborReader(Convert.FromHexString(hex)).ReadDouble());
    }

    [Fact]
    public void ReadSingle_And_ReadHalf_NarrowOnlyWhenExact()
    {
        Assert.Equal(1.5f, new CborReader(Convert.FromHexString("fb3ff8000000000000")).ReadSingle());
        Assert.Equal((Half)1.5, new CborReader(Convert.FromHexString("fa3fc00000")).ReadHalf());
        var inexact = new CborReader(Convert.FromHexString("fb3ff199999999999a"));
        Assert.Throws<OverflowException>(() => inexact.ReadSingle());
        Assert.Throws<OverflowException>(() => inexact.ReadHalf());
        Assert.Equal(9, inexact.BytesRemaining);
    }

    [Fact]
    public void ReadDouble_NaNPayloadAndSignalingBitPreserved()
    {
        // Half NaN 0x7c01 (signalling, payload 1) and single 0x7f800001: hardware widening would quiet them.
        Assert.Equal(0x7FF0_0400_0000_0000UL, BitConverter.DoubleToUInt64Bits(new CborReader(Convert.FromHexString("f97c01")).ReadDouble()));
        Assert.Equal(0x7FF0_0000_2000_0000UL, BitConverter.DoubleToUInt64Bits(new CborReader(Convert.FromHexString("fa7f800001")).ReadDouble()));
    }

    [Theory]
    [InlineData("fa3f800000")]         // 1.0 fits a half
    [InlineData("fb3ff0000000000000")] // 1.0 fits a half
    [InlineData("fb3ff8000000000000")] // 1.5 fits a half
    [InlineData("fb47efffffe0000000")] // fits a single
    [InlineData("fa7fc00000")]         // NaN must be f97e00
    [InlineData("f97e01")]             // NaN with payload
    public void ReadDouble_CanonicalRejectsNonShortestFloats(string hex)
    {
        byte[] cbor = Convert.FromHexString(hex);
        Assert.Equal(CborContentError.NonCanonicalFloat, Assert.Throws<CborContentException>(() => new CborReader(cbor, CborConformanceMode.Canonical).ReadDouble()).Error);
        new CborReader(cbor, CborConformanceMode.Strict).ReadDouble();
    }

    [Theory]
    [InlineData("f9")]
    [InlineData("fa0000")]
    [InlineData("fb00000000000000")]
    [InlineData("f8")]
    public void ReadFloat_Truncated_IsEndOfData(string hex)
    {
        byte[] cbor = Convert.FromHexString(hex);
        Assert.False(CborReader.TryValidate(cbor, CborConformanceMode.Lax, 8, out CborContentError error));
        Assert.Equal(CborContentError.EndOfData, error);
    }
}
