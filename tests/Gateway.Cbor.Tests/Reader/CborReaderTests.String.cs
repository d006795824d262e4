namespace Gateway.Cbor.Tests.Reader;

public class CborReaderStringTests
{
    [Theory]
    [InlineData("40", "")]
    [InlineData("4401020304", "01020304")]
    [InlineData("5f42010243030405ff", "0102030405")] // RFC 8949 Appendix A
    [InlineData("5fff", "")]
    [InlineData("5f4040ff", "")]
    public void ReadByteString_DefiniteAndIndefinite_ReturnsConcatenation(string hex, string expected)
    {
        var reader = new CborReader(Convert.FromHexString(hex));
        Assert.Equal(expected, Convert.ToHexStringLower(reader.ReadByteString()));
        Assert.Equal(CborReaderState.Finished, reader.PeekState());
    }

    [Fact]
    public void ReadByteString_IndefiniteChunkByChunk()
    {
        var reader = new CborReader(Convert.FromHexString("5f42010243030405ff"));
        Assert.Equal(CborReaderState.StartIndefiniteLengthByteString, reader.PeekState());
        reader.ReadStartIndefiniteLengthByteString();
        Assert.Equal(1, reader.CurrentDepth);
        Assert.Equal("0102", Convert.ToHexStringLower(reader.ReadByteString()));
        Assert.Equal("030405", Convert.ToHexStringLower(reader.ReadByteString()));
        Assert.Equal(CborReaderState.EndIndefiniteLengthByteString, reader.PeekState());
        reader.ReadEndIndefiniteLengthByteString();
        Assert.Equal(CborReaderState.Finished, reader.PeekState());
    }

    [Theory]
    [InlineData("5f01ff")]       // integer chunk
    [InlineData("5f6161ff")]     // text chunk in a byte string
    [InlineData("5f5f4101ffff")] // nested indefinite chunk
    [InlineData("7f4161ff")]     // byte chunk in a text string
    public void ReadString_InvalidChunks_ShouldThrowCborContentException(string hex)
    {
        byte[] cbor = Convert.FromHexString(hex);
        var reader = new CborReader(cbor, CborConformanceMode.Lax);
        var e = Assert.Throws<CborContentException>(() => { if (cbor[0] == 0x5f) reader.ReadByteString(); else reader.ReadTextString(); });
        Assert.Equal(CborContentError.InvalidIndefiniteLengthChunk, e.Error);
        Assert.Equal(cbor.Length, reader.BytesRemaining);
    }

    [Theory]
    [InlineData("5b7fffffffffffffff00")]
    [InlineData("5affffffff")]
    [InlineData("7b000000010000000041")]
    [InlineData("45010203")]
    public void ReadString_HugeDeclaredLength_ThrowsWithoutAllocating(string hex)
    {
        byte[] cbor = Convert.FromHexString(hex);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var reader = new CborReader(cbor);
        var e = Assert.Throws<CborContentException>(() => { if ((cbor[0] >> 5) == 2) reader.ReadByteString(); else reader.ReadTextString(); });
        Assert.Equal(CborContentError.LengthExceedsRemainingBytes, e.Error);
        Assert.Equal(cbor.Length, reader.BytesRemaining);
        // Only the reader, the exception and its message: nowhere near the declared length.
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 64 * 1024);
    }

    [Theory]
    [InlineData("6161", "a")]
    [InlineData("62c3bc", "\u00fc")] // RFC 8949 Appendix A
    [InlineData("64f0908591", "\ud800\udd51")] // RFC 8949 Appendix A
    [InlineData("7f657374726561646d696e67ff", "streaming")] // RFC 8949 Appendix A
    public void ReadTextString_Valid_ReturnsText(string hex, string expected)
    {
        var reader = new CborReader(Convert.FromHexString(hex));
        Assert.Equal(expected, reader.ReadTextString());
    }

    [Theory]
    [InlineData("61ff")]
    [InlineData("62c328")]
    [InlineData("63eda080")] // UTF-8 encoded surrogate
    [InlineData("7f61c361bcff")] // a character split across chunks (RFC 8949 §3.2.3)
    public void ReadTextString_InvalidUtf8_StrictRejects_LaxReplaces(string hex)
    {
        byte[] cbor = Convert.FromHexString(hex);
        var strict = new CborReader(cbor, CborConformanceMode.Strict);
        Assert.Equal(CborContentError.InvalidUtf8, Assert.Throws<CborContentException>(() => strict.ReadTextString()).Error);
        Assert.Equal(cbor.Length, strict.BytesRemaining);
        // Lax decodes what it can: U+FFFD for bad sequences; chunks are decoded after concatenation.
        string lax = new CborReader(cbor, CborConformanceMode.Lax).ReadTextString();
        Assert.True(lax.Contains('\uFFFD') || lax == "\u00fc", lax);
        Assert.False(CborReader.TryValidate(cbor, CborConformanceMode.Strict, 8, out CborContentError error));
        Assert.Equal(CborContentError.InvalidUtf8, error);
        Assert.True(CborReader.TryValidate(cbor, CborConformanceMode.Lax, 8, out _));
    }

    [Fact]
    public void TryReadByteString_DestinationTooSmall_ReturnsFalseAndConsumesNothing()
    {
        var reader = new CborReader(Convert.FromHexString("4401020304"));
        Assert.False(reader.TryReadByteString(new byte[3], out int written));
        Assert.Equal(0, written);
        Assert.Equal(5, reader.BytesRemaining);
        var buffer = new byte[4];
        Assert.True(reader.TryReadByteString(buffer, out written));
        Assert.Equal(4, written);
        Assert.Equal([1, 2, 3, 4], buffer);
    }

    [Fact]
    public void TryReadTextString_DestinationTooSmall_ReturnsFalseAndConsumesNothing()
    {
        var reader = new CborReader(Convert.FromHexString("6449455446"));
        Assert.False(reader.TryReadTextString(new char[3], out _));
        Assert.Equal(5, reader.BytesRemaining);
        var buffer = new char[4];
        Assert.True(reader.TryReadTextString(buffer, out int written));
        Assert.Equal("IETF", new string(buffer, 0, written));
    }

    [Fact]
    public void ReadDefiniteLength_ReturnsSlicesWithoutCopy()
    {
        byte[] cbor = Convert.FromHexString("82430102036449455446");
        var reader = new CborReader(cbor);
        reader.ReadStartArray();
        ReadOnlyMemory<byte> bytes = reader.ReadDefiniteLengthByteString();
        Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(bytes, out ArraySegment<byte> segment));
        Assert.Same(cbor, segment.Array);
        Assert.Equal("IETF"u8.ToArray(), reader.ReadDefiniteLengthTextStringBytes().ToArray());
        reader.ReadEndArray();
    }

    [Fact]
    public void ReadTextString_CanonicalRejectsIndefinite()
    {
        var reader = new CborReader(Convert.FromHexString("7f657374726561646d696e67ff"), CborConformanceMode.Canonical);
        Assert.Equal(CborContentError.NonCanonicalIndefiniteLength, Assert.Throws<CborContentException>(() => reader.ReadTextString()).Error);
    }
}
