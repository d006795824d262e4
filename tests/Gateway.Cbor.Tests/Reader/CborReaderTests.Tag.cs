namespace Gateway.Cbor.Tests.Reader;

public class CborReaderTagTests
{
    [Fact]
    public void ReadTag_ThenContent()
    {
        var reader = new CborReader(Convert.FromHexString("d82076687474703a2f2f7777772e6578616d706c652e636f6d")); // RFC 8949 Appendix A
        Assert.Equal(CborReaderState.Tag, reader.PeekState());
        Assert.Equal(CborTag.Uri, reader.PeekTag());
        Assert.Equal(CborTag.Uri, reader.ReadTag());
        Assert.Equal("http://www.example.com", reader.ReadTextString());
    }

    [Fact]
    public void ReadTag_FullRange()
    {
        Assert.Equal((CborTag)ulong.MaxValue, new CborReader(Convert.FromHexString("dbffffffffffffffff00")).ReadTag());
    }

    [Theory]
    [InlineData("c06161")]     // not RFC 3339
    [InlineData("c001")]       // not text
    [InlineData("c17f")]       // bad content type
    [InlineData("c1f97c00")]   // infinity
    [InlineData("c11b7fffffffffffffff")] // beyond DateTimeOffset
    public void ReadDateTime_InvalidContent_InvalidTagContentAndNothingConsumed(string hex)
    {
        byte[] cbor = Convert.FromHexString(hex);
        var reader = new CborReader(cbor, CborConformanceMode.Lax);
        var e = Assert.Throws<CborContentException>(() => { if (cbor[0] == 0xc0) reader.ReadDateTimeOffset(); else reader.ReadUnixTimeSeconds(); });
        Assert.True(e.Error is CborContentError.InvalidTagContent or CborContentError.UnexpectedBreak, e.Error.ToString());
        Assert.Equal(cbor.Length, reader.BytesRemaining);
    }

    [Fact]
    public void ReadDateTimeOffset_WithOffsetAndFraction()
    {
        var writer = new CborWriter();
        var value = new DateTimeOffset(2024, 2, 29, 23, 59, 58, TimeSpan.FromHours(-5)).AddTicks(1234567);
        writer.WriteDateTimeOffset(value);
        Assert.Equal("0(\"2024-02-29T23:59:58.1234567-05:00\")", CborDiagnostic.ToDiagnosticString(writer.Encode()));
        Assert.Equal(value, new CborReader(writer.Encode()).ReadDateTimeOffset());
    }

    [Fact]
    public void Tag_FollowedByBreak_IsTagWithoutContent()
    {
        var reader = new CborReader(Convert.FromHexString("9fc1ff"));
        reader.ReadStartArray();
        reader.ReadTag();
        Assert.Equal(CborContentError.TagWithoutContent, Assert.Throws<CborContentException>(() => reader.ReadEndArray()).Error);
    }

    [Fact]
    public void ReadTag_NonShortestInCanonical_Rejected()
    {
        Assert.Throws<CborContentException>(() => new CborReader(Convert.FromHexString("d80100"), CborConformanceMode.Canonical).ReadTag());
        Assert.Equal(CborTag.UnixTimeSeconds, new CborReader(Convert.FromHexString("d80100"), CborConformanceMode.Strict).ReadTag());
    }
}
