using System.Numerics;

namespace Gateway.Cbor.Tests.Writer;

public class CborWriterTests
{
    private static string Hex(Action<CborWriter> write, CborConformanceMode mode = CborConformanceMode.Strict)
    {
        var writer = new CborWriter(mode);
        write(writer);
        return Convert.ToHexStringLower(writer.Encode());
    }

    [Theory]
    [InlineData(0L, "00")]
    [InlineData(23L, "17")]
    [InlineData(24L, "1818")]
    [InlineData(255L, "18ff")]
    [InlineData(256L, "190100")]
    [InlineData(65535L, "19ffff")]
    [InlineData(65536L, "1a00010000")]
    [InlineData(4294967295L, "1affffffff")]
    [InlineData(4294967296L, "1b0000000100000000")]
    [InlineData(-24L, "37")]
    [InlineData(-25L, "3818")]
    [InlineData(long.MinValue, "3b7fffffffffffffff")]
    public void WriteInt64_ShortestArgument(long value, string expected) => Assert.Equal(expected, Hex(w => w.WriteInt64(value)));

    [Theory]
    [InlineData(1.0, "f93c00")]
    [InlineData(-0.0, "f98000")]
    [InlineData(65504.0, "f97bff")]
    [InlineData(65505.0, "fa477fe100")]
    [InlineData(100000.0, "fa47c35000")]
    [InlineData(1.1, "fb3ff199999999999a")]
    [InlineData(5.960464477539063e-8, "f90001")]
    [InlineData(2.9802322387695312e-8, "fa33000000")] // half subnormal underflow: single
    [InlineData(double.NegativeInfinity, "f9fc00")]
    public void WriteDouble_ShortestExactFloat(double value, string expected) => Assert.Equal(expected, Hex(w => w.WriteDouble(value)));

    [Fact]
    public void WriteDouble_NaN_PayloadKeptInStrict_CanonicalizedInCanonical()
    {
        double negativeQuiet = double.NaN; // .NET's NaN has the sign bit set
        Assert.Equal("f9fe00", Hex(w => w.WriteDouble(negativeQuiet)));
        // A quiet NaN with payload 1 keeps its payload (signalling NaNs cannot even be passed as a float
        // argument intact: the runtime quiets them, so that is not tested here).
        Assert.Equal("fa7fc00001", Hex(w => w.WriteSingle(BitConverter.UInt32BitsToSingle(0x7fc00001))));
        Assert.Equal("f97e00", Hex(w => w.WriteDouble(negativeQuiet), CborConformanceMode.Canonical));
        Assert.Equal("f97c01", Hex(w => w.WriteHalf(BitConverter.UInt16BitsToHalf(0x7c01))));
    }

    [Fact]
    public void WriteBigInteger_PreferredSerialization()
    {
        Assert.Equal("1bffffffffffffffff", Hex(w => w.WriteBigInteger(ulong.MaxValue)));
        Assert.Equal("3bffffffffffffffff", Hex(w => w.WriteBigInteger(-(BigInteger)ulong.MaxValue - 1)));
        Assert.Equal("c249010000000000000000", Hex(w => w.WriteBigInteger((BigInteger)ulong.MaxValue + 1)));
        Assert.Equal("c349010000000000000000", Hex(w => w.WriteBigInteger(-(BigInteger)ulong.MaxValue - 2)));
    }

    [Fact]
    public void WriteSimpleValue_ReservedRange_Throws()
    {
        var writer = new CborWriter();
        Assert.Throws<ArgumentOutOfRangeException>(() => writer.WriteSimpleValue((CborSimpleValue)24));
        Assert.Throws<ArgumentOutOfRangeException>(() => writer.WriteSimpleValue((CborSimpleValue)31));
        Assert.Equal(0, writer.BytesWritten);
        Assert.Equal("f820", Hex(w => w.WriteSimpleValue((CborSimpleValue)32)));
    }

    [Fact]
    public void Writer_Misuse_ThrowsInvalidOperationAndWritesNothing()
    {
        var writer = new CborWriter();
        Assert.Throws<InvalidOperationException>(() => writer.Encode());
        writer.WriteStartArray(1);
        Assert.Throws<InvalidOperationException>(() => writer.WriteEndArray());
        writer.WriteInt32(1);
        int written = writer.BytesWritten;
        Assert.Throws<InvalidOperationException>(() => writer.WriteInt32(2));
        Assert.Throws<InvalidOperationException>(() => writer.WriteEndMap());
        Assert.Equal(written, writer.BytesWritten);
        writer.WriteEndArray();
        Assert.Throws<InvalidOperationException>(() => writer.WriteInt32(3));
        Assert.Equal("8101", Convert.ToHexStringLower(writer.Encode()));

        var tagged = new CborWriter();
        tagged.WriteStartArray(null);
        tagged.WriteTag(CborTag.Uri);
        Assert.Throws<InvalidOperationException>(() => tagged.WriteEndArray());

        var map = new CborWriter();
        map.WriteStartMap(null);
        map.WriteInt32(1);
        Assert.Throws<InvalidOperationException>(() => map.WriteEndMap());
    }

    [Fact]
    public void WriteMap_DuplicateKey_StrictRejectsAndRemovesTheKey_LaxAllows()
    {
        var writer = new CborWriter(CborConformanceMode.Strict);
        writer.WriteStartMap(2);
        writer.WriteTextString("a");
        writer.WriteInt32(1);
        int before = writer.BytesWritten;
        Assert.Throws<InvalidOperationException>(() => writer.WriteTextString("a"));
        Assert.Equal(before, writer.BytesWritten);
        writer.WriteTextString("b");
        writer.WriteInt32(2);
        writer.WriteEndMap();
        Assert.Equal("a2616101616202", Convert.ToHexStringLower(writer.Encode()));

        Assert.Equal("a2616101616102", Hex(w => { w.WriteStartMap(2); w.WriteTextString("a"); w.WriteInt32(1); w.WriteTextString("a"); w.WriteInt32(2); w.WriteEndMap(); }, CborConformanceMode.Lax));
    }

    [Fact]
    public void WriteMap_Canonical_SortsKeysBytewiseIncludingNestedMaps()
    {
        string hex = Hex(w =>
        {
            w.WriteStartMap(3);
            w.WriteTextString("b");
            w.WriteStartMap(2);
            w.WriteInt32(10);
            w.WriteNull();
            w.WriteInt32(1);
            w.WriteNull();
            w.WriteEndMap();
            w.WriteTextString("a");
            w.WriteInt32(1);
            w.WriteInt32(256);
            w.WriteInt32(0);
            w.WriteEndMap();
        }, CborConformanceMode.Canonical);
        Assert.Equal("{256: 0, \"a\": 1, \"b\": {1: null, 10: null}}", CborDiagnostic.ToDiagnosticString(Convert.FromHexString(hex)));
        Assert.True(CborReader.TryValidate(Convert.FromHexString(hex), CborConformanceMode.Canonical, 8, out _));
    }

    [Fact]
    public void Canonical_RejectsIndefiniteLengths()
    {
        var writer = new CborWriter(CborConformanceMode.Canonical);
        Assert.Throws<InvalidOperationException>(() => writer.WriteStartArray(null));
        Assert.Throws<InvalidOperationException>(() => writer.WriteStartMap(null));
        Assert.Throws<InvalidOperationException>(() => writer.WriteStartIndefiniteLengthTextString());
    }

    [Fact]
    public void WriteTextString_LoneSurrogate_StrictThrows_LaxReplaces()
    {
        var strict = new CborWriter();
        Assert.ThrowsAny<ArgumentException>(() => strict.WriteTextString("a\ud800"));
        Assert.Equal(0, strict.BytesWritten);
        Assert.Equal("64" + "61efbfbd", Hex(w => w.WriteTextString("a\ud800"), CborConformanceMode.Lax));
    }

    [Fact]
    public void IndefiniteString_OnlySameTypeChunks()
    {
        var writer = new CborWriter();
        writer.WriteStartIndefiniteLengthByteString();
        Assert.Throws<InvalidOperationException>(() => writer.WriteTextString("x"));
        Assert.Throws<InvalidOperationException>(() => writer.WriteStartIndefiniteLengthByteString());
        writer.WriteByteString([1, 2]);
        writer.WriteEndIndefiniteLengthByteString();
        Assert.Equal("5f420102ff", Convert.ToHexStringLower(writer.Encode()));
    }

    [Fact]
    public void WriteEncodedValue_ValidatesAndCountsAsOneItem()
    {
        var writer = new CborWriter();
        writer.WriteStartArray(2);
        writer.WriteEncodedValue(Convert.FromHexString("a201020304"));
        Assert.Throws<ArgumentException>(() => writer.WriteEncodedValue(Convert.FromHexString("0102")));
        Assert.Throws<ArgumentException>(() => writer.WriteEncodedValue(Convert.FromHexString("a2010201ff")));
        writer.WriteEncodedValue(Convert.FromHexString("f6"));
        writer.WriteEndArray();
        Assert.Equal("82a201020304f6", Convert.ToHexStringLower(writer.Encode()));
    }

    [Fact]
    public void TryEncode_Reset_MultipleRoots()
    {
        var writer = new CborWriter(allowMultipleRootLevelValues: true);
        writer.WriteInt32(1);
        writer.WriteInt32(2);
        Assert.False(writer.TryEncode(new byte[1], out int written));
        Assert.Equal(0, written);
        var buffer = new byte[2];
        Assert.True(writer.TryEncode(buffer, out written));
        Assert.Equal([1, 2], buffer);
        writer.Reset();
        Assert.Equal(0, writer.BytesWritten);
        writer.WriteUnixTimeSeconds(1363896240);
        Assert.Equal("c11a514b67b0", Convert.ToHexStringLower(writer.Encode())); // RFC 8949 Appendix A
    }
}
