namespace Gateway.Cbor.Tests.Reader;

public class CborReaderMapTests
{
    [Fact]
    public void ReadMap_DefiniteAndIndefinite_ReadsPairs()
    {
        var reader = new CborReader(Convert.FromHexString("bf61610161629f0203ffff")); // RFC 8949 Appendix A
        Assert.Null(reader.ReadStartMap());
        Assert.Equal("a", reader.ReadTextString());
        Assert.Equal(1, reader.ReadInt32());
        Assert.Equal("b", reader.ReadTextString());
        Assert.Null(reader.ReadStartArray());
        Assert.Equal(2, reader.ReadInt32());
        Assert.Equal(3, reader.ReadInt32());
        Assert.Equal(CborReaderState.EndArray, reader.PeekState());
        reader.ReadEndArray();
        Assert.Equal(CborReaderState.EndMap, reader.PeekState());
        reader.ReadEndMap();
        Assert.Equal(CborReaderState.Finished, reader.PeekState());
    }

    [Fact]
    public void ReadEndArray_ItemsRemaining_ShouldThrowInvalidOperationException()
    {
        var reader = new CborReader(Convert.FromHexString("83010203"));
        Assert.Equal(3, reader.ReadStartArray());
        reader.ReadInt32();
        Assert.Throws<InvalidOperationException>(() => reader.ReadEndArray());
        Assert.Throws<InvalidOperationException>(() => reader.ReadEndMap());
        Assert.Equal(2, reader.BytesRemaining);
    }

    [Fact]
    public void ReadInt_AtEndOfDefiniteArray_ShouldThrowInvalidOperationException()
    {
        var reader = new CborReader(Convert.FromHexString("8101"), allowMultipleRootLevelValues: true);
        reader.ReadStartArray();
        reader.ReadInt32();
        Assert.Throws<InvalidOperationException>(() => reader.ReadInt32());
        reader.ReadEndArray();
        Assert.Equal(CborReaderState.Finished, reader.PeekState());
    }

    [Theory]
    [InlineData("9b00000000ffffffff01")]
    [InlineData("9bffffffffffffffff")]
    [InlineData("bb000000007fffffff0102")]
    [InlineData("a301020304")]
    [InlineData("8301")]
    public void ReadStart_CountLargerThanRemainingInput_ShouldThrowCborContentException(string hex)
    {
        byte[] cbor = Convert.FromHexString(hex);
        var reader = new CborReader(cbor);
        var e = Assert.Throws<CborContentException>(() => { if ((cbor[0] >> 5) == 4) reader.ReadStartArray(); else reader.ReadStartMap(); });
        Assert.Equal(CborContentError.LengthExceedsRemainingBytes, e.Error);
        Assert.Equal(cbor.Length, reader.BytesRemaining);
        Assert.Equal(0, reader.CurrentDepth);
    }

    [Fact]
    public void ReadStartArray_BeyondMaxDepth_ShouldThrowCborContentException()
    {
        byte[] cbor = Enumerable.Repeat((byte)0x81, 10).Append((byte)0x00).ToArray();
        var reader = new CborReader(cbor, maxDepth: 5);
        for (int i = 0; i < 5; i++) reader.ReadStartArray();
        Assert.Equal(CborContentError.MaxDepthExceeded, Assert.Throws<CborContentException>(() => reader.ReadStartArray()).Error);
        Assert.Equal(6, reader.BytesRemaining);
        Assert.Equal(5, reader.CurrentDepth);
        Assert.False(CborReader.TryValidate(cbor, CborConformanceMode.Strict, 5, out CborContentError error));
        Assert.Equal(CborContentError.MaxDepthExceeded, error);
        Assert.True(CborReader.TryValidate(cbor, CborConformanceMode.Strict, 10, out _));
    }

    [Fact]
    public void SkipValue_HostileNesting_ThrowsDepthErrorNotStackOverflow()
    {
        byte[] cbor = Enumerable.Repeat((byte)0x9F, 1_000_000).ToArray();
        var reader = new CborReader(cbor);
        Assert.Equal(CborContentError.MaxDepthExceeded, Assert.Throws<CborContentException>(() => reader.SkipValue()).Error);
        Assert.Equal(cbor.Length, reader.BytesRemaining);
        Assert.False(CborReader.TryValidate(cbor, CborConformanceMode.Lax, CborReader.DefaultMaxDepth, out _));
    }

    [Fact]
    public void LongTagChain_IsIterative()
    {
        byte[] cbor = Enumerable.Repeat((byte)0xC6, 200_000).Append((byte)0x01).ToArray();
        Assert.True(CborReader.TryValidate(cbor, CborConformanceMode.Strict, 4, out _));
        var reader = new CborReader(cbor);
        reader.SkipValue();
        Assert.Equal(0, reader.BytesRemaining);
        Assert.Equal(1L, Assert.IsAssignableFrom<System.Text.Json.Nodes.JsonValue>(CborJson.ToJsonNode(cbor)).GetValue<long>());
    }

    [Theory]
    [InlineData("a201020103")]           // {1: 2, 1: 3}
    [InlineData("bf616101616102ff")]     // {_ "a": 1, "a": 2}
    [InlineData("a2820102008201020a")]   // {[1, 2]: 0, [1, 2]: 10}
    public void ReadMap_DuplicateKey_StrictRejectsAtTheKey_LaxAccepts(string hex)
    {
        byte[] cbor = Convert.FromHexString(hex);
        Assert.True(CborReader.TryValidate(cbor, CborConformanceMode.Lax, 8, out _));
        Assert.False(CborReader.TryValidate(cbor, CborConformanceMode.Strict, 8, out CborContentError error));
        Assert.Equal(CborContentError.DuplicateKey, error);

        var reader = new CborReader(cbor, CborConformanceMode.Strict);
        reader.ReadStartMap();
        reader.SkipValue();
        reader.SkipValue();
        int before = reader.BytesRemaining;
        var e = Assert.Throws<CborContentException>(() => reader.SkipValue());
        Assert.Equal(CborContentError.DuplicateKey, e.Error);
        Assert.Equal(before, reader.BytesRemaining);
    }

    [Fact]
    public void ReadMap_DuplicateCompositeKey_RejectedAtEndOfKeyAndRestored()
    {
        var reader = new CborReader(Convert.FromHexString("a2820102008201020a"));
        reader.ReadStartMap();
        reader.SkipValue();
        reader.ReadInt32();
        reader.ReadStartArray();
        reader.ReadInt32();
        reader.ReadInt32();
        int before = reader.BytesRemaining;
        Assert.Equal(CborContentError.DuplicateKey, Assert.Throws<CborContentException>(() => reader.ReadEndArray()).Error);
        Assert.Equal(before, reader.BytesRemaining);
        Assert.Equal(2, reader.CurrentDepth);
    }

    [Fact]
    public void ReadMap_ManyKeys_DuplicateFoundThroughHashIndex()
    {
        var writer = new CborWriter(CborConformanceMode.Lax);
        writer.WriteStartMap(1001);
        for (int i = 0; i < 1000; i++) { writer.WriteInt32(i); writer.WriteNull(); }
        writer.WriteInt32(777);
        writer.WriteNull();
        writer.WriteEndMap();
        Assert.False(CborReader.TryValidate(writer.Encode(), CborConformanceMode.Strict, 8, out CborContentError error));
        Assert.Equal(CborContentError.DuplicateKey, error);
    }

    [Theory]
    [InlineData("a2616201616102", CborContentError.UnsortedMapKeys)] // {"b": 1, "a": 2}
    [InlineData("a2616101616101", CborContentError.DuplicateKey)]
    [InlineData("a261610119010000", CborContentError.UnsortedMapKeys)] // {"a": 1, 256: 0}: 0x19 sorts before 0x61
    [InlineData("a219010000616101", CborContentError.None)]            // {256: 0, "a": 1}: bytewise, not length-first
    public void ReadMap_CanonicalKeyOrder(string hex, CborContentError expected)
    {
        byte[] cbor = Convert.FromHexString(hex);
        Assert.Equal(expected == CborContentError.None, CborReader.TryValidate(cbor, CborConformanceMode.Canonical, 8, out CborContentError error));
        Assert.Equal(expected, error);
        Assert.True(CborReader.TryValidate(cbor, CborConformanceMode.Lax, 8, out _));
    }

    [Theory]
    [InlineData("bf6161ff", CborContentError.MissingMapValue)]
    [InlineData("ff", CborContentError.UnexpectedBreak)]
    [InlineData("8201ff", CborContentError.UnexpectedBreak)]
    [InlineData("9fc6ff", CborContentError.TagWithoutContent)]
    [InlineData("c6", CborContentError.EndOfData)]
    [InlineData("9f01", CborContentError.EndOfData)]
    [InlineData("", CborContentError.EndOfData)]
    [InlineData("0000", CborContentError.TrailingData)]
    public void TryValidate_MalformedStructure_ReportsError(string hex, CborContentError expected)
    {
        Assert.False(CborReader.TryValidate(Convert.FromHexString(hex), CborConformanceMode.Lax, 8, out CborContentError error));
        Assert.Equal(expected, error);
    }

    [Fact]
    public void TryValidate_Sequence_ReportsOffset()
    {
        byte[] cbor = Convert.FromHexString("0102ff");
        Assert.False(CborReader.TryValidate(cbor, CborConformanceMode.Strict, 8, allowMultipleRootLevelValues: true, out CborContentError error, out int offset));
        Assert.Equal(CborContentError.UnexpectedBreak, error);
        Assert.Equal(2, offset);
        Assert.True(CborReader.TryValidate([], CborConformanceMode.Strict, 8, allowMultipleRootLevelValues: true, out _, out _));
    }

    [Fact]
    public void PeekState_EmptyInput_Throws_MultipleRootsEmpty_Finished()
    {
        Assert.Equal(CborContentError.EndOfData, Assert.Throws<CborContentException>(() => new CborReader(Array.Empty<byte>()).PeekState()).Error);
        Assert.Equal(CborReaderState.Finished, new CborReader(Array.Empty<byte>(), allowMultipleRootLevelValues: true).PeekState());
    }

    [Fact]
    public void ReadEncodedValue_ReturnsExactBytes_AndSkipValueConsumesNested()
    {
        var reader = new CborReader(Convert.FromHexString("826161bf61626163ff")); // RFC 8949 Appendix A
        reader.ReadStartArray();
        reader.SkipValue();
        Assert.Equal("bf61626163ff", Convert.ToHexStringLower(reader.ReadEncodedValue().Span));
        reader.ReadEndArray();
        Assert.Throws<InvalidOperationException>(() => reader.SkipValue());
    }
}
