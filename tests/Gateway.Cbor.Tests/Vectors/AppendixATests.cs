using System.Numerics;
using Gateway.Cbor.Tests.Support;

namespace Gateway.Cbor.Tests.Vectors;

/// <summary>
/// Every example of RFC 8949 Appendix A ("Examples of Encoded CBOR Data Items"), in both directions.
/// Columns: encoded hex and diagnostic notation exactly as the RFC prints them, then the hex our
/// writer must produce from that value. They differ only for the single- and double-precision
/// Infinity/NaN rows, which are not preferred serialization (RFC 8949 §4.1: the half form is).
/// </summary>
public class AppendixATests
{
    public static readonly TheoryData<string, string, string> Vectors = new()
    {
        { "00", "0", "00" },
        { "01", "1", "01" },
        { "0a", "10", "0a" },
        { "17", "23", "17" },
        { "1818", "24", "1818" },
        { "1819", "25", "1819" },
        { "1864", "100", "1864" },
        { "1903e8", "1000", "1903e8" },
        { "1a000f4240", "1000000", "1a000f4240" },
        { "1b000000e8d4a51000", "1000000000000", "1b000000e8d4a51000" },
        { "1bffffffffffffffff", "18446744073709551615", "1bffffffffffffffff" },
        { "c249010000000000000000", "18446744073709551616", "c249010000000000000000" },
        { "3bffffffffffffffff", "-18446744073709551616", "3bffffffffffffffff" },
        { "c349010000000000000000", "-18446744073709551617", "c349010000000000000000" },
        { "20", "-1", "20" },
        { "29", "-10", "29" },
        { "3863", "-100", "3863" },
        { "3903e7", "-1000", "3903e7" },
        { "f90000", "0.0", "f90000" },
        { "f98000", "-0.0", "f98000" },
        { "f93c00", "1.0", "f93c00" },
        { "fb3ff199999999999a", "1.1", "fb3ff199999999999a" },
        { "f93e00", "1.5", "f93e00" },
        { "f97bff", "65504.0", "f97bff" },
        { "fa47c35000", "100000.0", "fa47c35000" },
        { "fa7f7fffff", "3.4028234663852886e+38", "fa7f7fffff" },
        { "fb7e37e43c8800759c", "1.0e+300", "fb7e37e43c8800759c" },
        { "f90001", "5.960464477539063e-8", "f90001" },
        { "f90400", "0.00006103515625", "f90400" },
        { "f9c400", "-4.0", "f9c400" },
        { "fbc010666666666666", "-4.1", "fbc010666666666666" },
        { "f97c00", "Infinity", "f97c00" },
        { "f97e00", "NaN", "f97e00" },
        { "f9fc00", "-Infinity", "f9fc00" },
        { "fa7f800000", "Infinity", "f97c00" },
        { "fa7fc00000", "NaN", "f97e00" },
        { "faff800000", "-Infinity", "f9fc00" },
        { "fb7ff0000000000000", "Infinity", "f97c00" },
        { "fb7ff8000000000000", "NaN", "f97e00" },
        { "fbfff0000000000000", "-Infinity", "f9fc00" },
        { "f4", "false", "f4" },
        { "f5", "true", "f5" },
        { "f6", "null", "f6" },
        { "f7", "undefined", "f7" },
        { "f0", "simple(16)", "f0" },
        { "f8ff", "simple(255)", "f8ff" },
        { "c074323031332d30332d32315432303a30343a30305a", "0(\"2013-03-21T20:04:00Z\")", "c074323031332d30332d32315432303a30343a30305a" },
        { "c11a514b67b0", "1(1363896240)", "c11a514b67b0" },
        { "c1fb41d452d9ec200000", "1(1363896240.5)", "c1fb41d452d9ec200000" },
        { "d74401020304", "23(h'01020304')", "d74401020304" },
        { "d818456449455446", "24(h'6449455446')", "d818456449455446" },
        { "d82076687474703a2f2f7777772e6578616d706c652e636f6d", "32(\"http://www.example.com\")", "d82076687474703a2f2f7777772e6578616d706c652e636f6d" },
        { "40", "h''", "40" },
        { "4401020304", "h'01020304'", "4401020304" },
        { "60", "\"\"", "60" },
        { "6161", "\"a\"", "6161" },
        { "6449455446", "\"IETF\"", "6449455446" },
        { "62225c", "\"\\\"\\\\\"", "62225c" },
        { "62c3bc", "\"\\u00fc\"", "62c3bc" },
        { "63e6b0b4", "\"\\u6c34\"", "63e6b0b4" },
        { "64f0908591", "\"\\ud800\\udd51\"", "64f0908591" },
        { "80", "[]", "80" },
        { "83010203", "[1, 2, 3]", "83010203" },
        { "8301820203820405", "[1, [2, 3], [4, 5]]", "8301820203820405" },
        { "98190102030405060708090a0b0c0d0e0f101112131415161718181819", "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25]", "98190102030405060708090a0b0c0d0e0f101112131415161718181819" },
        { "a0", "{}", "a0" },
        { "a201020304", "{1: 2, 3: 4}", "a201020304" },
        { "a26161016162820203", "{\"a\": 1, \"b\": [2, 3]}", "a26161016162820203" },
        { "826161a161626163", "[\"a\", {\"b\": \"c\"}]", "826161a161626163" },
        { "a56161614161626142616361436164614461656145", "{\"a\": \"A\", \"b\": \"B\", \"c\": \"C\", \"d\": \"D\", \"e\": \"E\"}", "a56161614161626142616361436164614461656145" },
        { "5f42010243030405ff", "(_ h'0102', h'030405')", "5f42010243030405ff" },
        { "7f657374726561646d696e67ff", "(_ \"strea\", \"ming\")", "7f657374726561646d696e67ff" },
        { "9fff", "[_ ]", "9fff" },
        { "9f018202039f0405ffff", "[_ 1, [2, 3], [_ 4, 5]]", "9f018202039f0405ffff" },
        { "9f01820203820405ff", "[_ 1, [2, 3], [4, 5]]", "9f01820203820405ff" },
        { "83018202039f0405ff", "[1, [2, 3], [_ 4, 5]]", "83018202039f0405ff" },
        { "83019f0203ff820405", "[1, [_ 2, 3], [4, 5]]", "83019f0203ff820405" },
        { "9f0102030405060708090a0b0c0d0e0f101112131415161718181819ff", "[_ 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25]", "9f0102030405060708090a0b0c0d0e0f101112131415161718181819ff" },
        { "bf61610161629f0203ffff", "{_ \"a\": 1, \"b\": [_ 2, 3]}", "bf61610161629f0203ffff" },
        { "826161bf61626163ff", "[\"a\", {_ \"b\": \"c\"}]", "826161bf61626163ff" },
        { "bf6346756ef563416d7421ff", "{_ \"Fun\": true, \"Amt\": -2}", "bf6346756ef563416d7421ff" },
    };

    // The same table as [InlineData], as the house style asks: hex from RFC 8949 Appendix A.
    [Theory]
    [InlineData("00", "0", "00")] // RFC 8949 Appendix A
    [InlineData("01", "1", "01")] // RFC 8949 Appendix A
    [InlineData("0a", "10", "0a")] // RFC 8949 Appendix A
    [InlineData("17", "23", "17")] // RFC 8949 Appendix A
    [InlineData("1818", "24", "1818")] // RFC 8949 Appendix A
    [InlineData("1819", "25", "1819")] // RFC 8949 Appendix A
    [InlineData("1864", "100", "1864")] // RFC 8949 Appendix A
    [InlineData("1903e8", "1000", "1903e8")] // RFC 8949 Appendix A
    [InlineData("1a000f4240", "1000000", "1a000f4240")] // RFC 8949 Appendix A
    [InlineData("1b000000e8d4a51000", "1000000000000", "1b000000e8d4a51000")] // RFC 8949 Appendix A
    [InlineData("1bffffffffffffffff", "18446744073709551615", "1bffffffffffffffff")] // RFC 8949 Appendix A
    [InlineData("c249010000000000000000", "18446744073709551616", "c249010000000000000000")] // RFC 8949 Appendix A
    [InlineData("3bffffffffffffffff", "-18446744073709551616", "3bffffffffffffffff")] // RFC 8949 Appendix A
    [InlineData("c349010000000000000000", "-18446744073709551617", "c349010000000000000000")] // RFC 8949 Appendix A
    [InlineData("20", "-1", "20")] // RFC 8949 Appendix A
    [InlineData("29", "-10", "29")] // RFC 8949 Appendix A
    [InlineData("3863", "-100", "3863")] // RFC 8949 Appendix A
    [InlineData("3903e7", "-1000", "3903e7")] // RFC 8949 Appendix A
    [InlineData("f90000", "0.0", "f90000")] // RFC 8949 Appendix A
    [InlineData("f98000", "-0.0", "f98000")] // RFC 8949 Appendix A
    [InlineData("f93c00", "1.0", "f93c00")] // RFC 8949 Appendix A
    [InlineData("fb3ff199999999999a", "1.1", "fb3ff199999999999a")] // RFC 8949 Appendix A
    [InlineData("f93e00", "1.5", "f93e00")] // RFC 8949 Appendix A
    [InlineData("f97bff", "65504.0", "f97bff")] // RFC 8949 Appendix A
    [InlineData("fa47c35000", "100000.0", "fa47c35000")] // RFC 8949 Appendix A
    [InlineData("fa7f7fffff", "3.4028234663852886e+38", "fa7f7fffff")] // RFC 8949 Appendix A
    [InlineData("fb7e37e43c8800759c", "1.0e+300", "fb7e37e43c8800759c")] // RFC 8949 Appendix A
    [InlineData("f90001", "5.960464477539063e-8", "f90001")] // RFC 8949 Appendix A
    [InlineData("f90400", "0.00006103515625", "f90400")] // RFC 8949 Appendix A
    [InlineData("f9c400", "-4.0", "f9c400")] // RFC 8949 Appendix A
    [InlineData("fbc010666666666666", "-4.1", "fbc010666666666666")] // RFC 8949 Appendix A
    [InlineData("f97c00", "Infinity", "f97c00")] // RFC 8949 Appendix A
    [InlineData("f97e00", "NaN", "f97e00")] // RFC 8949 Appendix A
    [InlineData("f9fc00", "-Infinity", "f9fc00")] // RFC 8949 Appendix A
    [InlineData("fa7f800000", "Infinity", "f97c00")] // RFC 8949 Appendix A
    [InlineData("fa7fc00000", "NaN", "f97e00")] // RFC 8949 Appendix A
    [InlineData("faff800000", "-Infinity", "f9fc00")] // RFC 8949 Appendix A
    [InlineData("fb7ff0000000000000", "Infinity", "f97c00")] // RFC 8949 Appendix A
    [InlineData("fb7ff8000000000000", "NaN", "f97e00")] // RFC 8949 Appendix A
    [InlineData("fbfff0000000000000", "-Infinity", "f9fc00")] // RFC 8949 Appendix A
    [InlineData("f4", "false", "f4")] // RFC 8949 Appendix A
    [InlineData("f5", "true", "f5")] // RFC 8949 Appendix A
    [InlineData("f6", "null", "f6")] // RFC 8949 Appendix A
    [InlineData("f7", "undefined", "f7")] // RFC 8949 Appendix A
    [InlineData("f0", "simple(16)", "f0")] // RFC 8949 Appendix A
    [InlineData("f8ff", "simple(255)", "f8ff")] // RFC 8949 Appendix A
    [InlineData("c074323031332d30332d32315432303a30343a30305a", "0(\"2013-03-21T20:04:00Z\")", "c074323031332d30332d32315432303a30343a30305a")] // RFC 8949 Appendix A
    [InlineData("c11a514b67b0", "1(1363896240)", "c11a514b67b0")] // RFC 8949 Appendix A
    [InlineData("c1fb41d452d9ec200000", "1(1363896240.5)", "c1fb41d452d9ec200000")] // RFC 8949 Appendix A
    [InlineData("d74401020304", "23(h'01020304')", "d74401020304")] // RFC 8949 Appendix A
    [InlineData("d818456449455446", "24(h'6449455446')", "d818456449455446")] // RFC 8949 Appendix A
    [InlineData("d82076687474703a2f2f7777772e6578616d706c652e636f6d", "32(\"http://www.example.com\")", "d82076687474703a2f2f7777772e6578616d706c652e636f6d")] // RFC 8949 Appendix A
    [InlineData("40", "h''", "40")] // RFC 8949 Appendix A
    [InlineData("4401020304", "h'01020304'", "4401020304")] // RFC 8949 Appendix A
    [InlineData("60", "\"\"", "60")] // RFC 8949 Appendix A
    [InlineData("6161", "\"a\"", "6161")] // RFC 8949 Appendix A
    [InlineData("6449455446", "\"IETF\"", "6449455446")] // RFC 8949 Appendix A
    [InlineData("62225c", "\"\\\"\\\\\"", "62225c")] // RFC 8949 Appendix A
    [InlineData("62c3bc", "\"\\u00fc\"", "62c3bc")] // RFC 8949 Appendix A
    [InlineData("63e6b0b4", "\"\\u6c34\"", "63e6b0b4")] // RFC 8949 Appendix A
    [InlineData("64f0908591", "\"\\ud800\\udd51\"", "64f0908591")] // RFC 8949 Appendix A
    [InlineData("80", "[]", "80")] // RFC 8949 Appendix A
    [InlineData("83010203", "[1, 2, 3]", "83010203")] // RFC 8949 Appendix A
    [InlineData("8301820203820405", "[1, [2, 3], [4, 5]]", "8301820203820405")] // RFC 8949 Appendix A
    [InlineData("98190102030405060708090a0b0c0d0e0f101112131415161718181819", "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25]", "98190102030405060708090a0b0c0d0e0f101112131415161718181819")] // RFC 8949 Appendix A
    [InlineData("a0", "{}", "a0")] // RFC 8949 Appendix A
    [InlineData("a201020304", "{1: 2, 3: 4}", "a201020304")] // RFC 8949 Appendix A
    [InlineData("a26161016162820203", "{\"a\": 1, \"b\": [2, 3]}", "a26161016162820203")] // RFC 8949 Appendix A
    [InlineData("826161a161626163", "[\"a\", {\"b\": \"c\"}]", "826161a161626163")] // RFC 8949 Appendix A
    [InlineData("a56161614161626142616361436164614461656145", "{\"a\": \"A\", \"b\": \"B\", \"c\": \"C\", \"d\": \"D\", \"e\": \"E\"}", "a56161614161626142616361436164614461656145")] // RFC 8949 Appendix A
    [InlineData("5f42010243030405ff", "(_ h'0102', h'030405')", "5f42010243030405ff")] // RFC 8949 Appendix A
    [InlineData("7f657374726561646d696e67ff", "(_ \"strea\", \"ming\")", "7f657374726561646d696e67ff")] // RFC 8949 Appendix A
    [InlineData("9fff", "[_ ]", "9fff")] // RFC 8949 Appendix A
    [InlineData("9f018202039f0405ffff", "[_ 1, [2, 3], [_ 4, 5]]", "9f018202039f0405ffff")] // RFC 8949 Appendix A
    [InlineData("9f01820203820405ff", "[_ 1, [2, 3], [4, 5]]", "9f01820203820405ff")] // RFC 8949 Appendix A
    [InlineData("83018202039f0405ff", "[1, [2, 3], [_ 4, 5]]", "83018202039f0405ff")] // RFC 8949 Appendix A
    [InlineData("83019f0203ff820405", "[1, [_ 2, 3], [4, 5]]", "83019f0203ff820405")] // RFC 8949 Appendix A
    [InlineData("9f0102030405060708090a0b0c0d0e0f101112131415161718181819ff", "[_ 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25]", "9f0102030405060708090a0b0c0d0e0f101112131415161718181819ff")] // RFC 8949 Appendix A
    [InlineData("bf61610161629f0203ffff", "{_ \"a\": 1, \"b\": [_ 2, 3]}", "bf61610161629f0203ffff")] // RFC 8949 Appendix A
    [InlineData("826161bf61626163ff", "[\"a\", {_ \"b\": \"c\"}]", "826161bf61626163ff")] // RFC 8949 Appendix A
    [InlineData("bf6346756ef563416d7421ff", "{_ \"Fun\": true, \"Amt\": -2}", "bf6346756ef563416d7421ff")] // RFC 8949 Appendix A
    public void Decode_AppendixAVector_MatchesDiagnosticNotation(string hex, string diagnostic, string preferredHex)
    {
        _ = preferredHex;
        byte[] cbor = Convert.FromHexString(hex);
        if (hex.StartsWith("c2", StringComparison.Ordinal) || hex.StartsWith("c3", StringComparison.Ordinal) || hex == "3bffffffffffffffff")
        {
            // The RFC shows bignums (and -2^64) by their numeric value.
            var reader = new CborReader(cbor);
            Assert.Equal(BigInteger.Parse(diagnostic), reader.ReadBigInteger());
            Assert.Equal(CborReaderState.Finished, reader.PeekState());
            return;
        }

        Assert.Equal(diagnostic, CborDiagnostic.ToDiagnosticString(cbor, CborConformanceMode.Strict));
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Encode_AppendixAValue_ProducesPreferredSerialization(string hex, string diagnostic, string preferredHex)
    {
        _ = hex;
        Assert.Equal(preferredHex, Convert.ToHexStringLower(DiagnosticParser.Encode(diagnostic)));
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Vector_IsAcceptedByValidatorAndSkipValue(string hex, string diagnostic, string preferredHex)
    {
        _ = (diagnostic, preferredHex);
        byte[] cbor = Convert.FromHexString(hex);
        Assert.True(CborReader.TryValidate(cbor, CborConformanceMode.Strict, 64, out CborContentError error), error.ToString());
        var reader = new CborReader(cbor);
        Assert.Equal(hex, Convert.ToHexStringLower(reader.ReadEncodedValue().Span));
        Assert.Equal(0, reader.BytesRemaining);
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Vector_CanonicalModeAcceptsExactlyThePreferredDefiniteOnes(string hex, string diagnostic, string preferredHex)
    {
        _ = diagnostic;
        byte[] cbor = Convert.FromHexString(hex);
        bool expected = hex == preferredHex && !IsIndefinite(cbor);
        Assert.Equal(expected, CborReader.TryValidate(cbor, CborConformanceMode.Canonical, 64, out _));
    }

    [Theory]
    [InlineData("fb3ff199999999999a", 1.1)] // RFC 8949 Appendix A
    [InlineData("f93e00", 1.5)] // RFC 8949 Appendix A
    [InlineData("f97bff", 65504.0)] // RFC 8949 Appendix A
    [InlineData("fa47c35000", 100000.0)] // RFC 8949 Appendix A
    [InlineData("fa7f7fffff", 3.4028234663852886e+38)] // RFC 8949 Appendix A
    [InlineData("fb7e37e43c8800759c", 1.0e+300)] // RFC 8949 Appendix A
    [InlineData("f90001", 5.960464477539063e-8)] // RFC 8949 Appendix A
    [InlineData("f90400", 0.00006103515625)] // RFC 8949 Appendix A
    [InlineData("f9c400", -4.0)] // RFC 8949 Appendix A
    [InlineData("fbc010666666666666", -4.1)] // RFC 8949 Appendix A
    [InlineData("f97c00", double.PositiveInfinity)] // RFC 8949 Appendix A
    [InlineData("fa7f800000", double.PositiveInfinity)] // RFC 8949 Appendix A
    [InlineData("fbfff0000000000000", double.NegativeInfinity)] // RFC 8949 Appendix A
    public void ReadDouble_AppendixAFloat_ReturnsExactValue(string hex, double expected)
    {
        var reader = new CborReader(Convert.FromHexString(hex));
        Assert.Equal(BitConverter.DoubleToInt64Bits(expected), BitConverter.DoubleToInt64Bits(reader.ReadDouble()));
    }

    [Theory]
    [InlineData("f97e00")] // RFC 8949 Appendix A
    [InlineData("fa7fc00000")] // RFC 8949 Appendix A
    [InlineData("fb7ff8000000000000")] // RFC 8949 Appendix A
    public void ReadDouble_AppendixANaN_ReturnsPositiveQuietNaN(string hex)
    {
        double value = new CborReader(Convert.FromHexString(hex)).ReadDouble();
        Assert.Equal(0x7FF8_0000_0000_0000UL, BitConverter.DoubleToUInt64Bits(value));
    }

    [Theory]
    [InlineData("c074323031332d30332d32315432303a30343a30305a", "2013-03-21T20:04:00+00:00")] // RFC 8949 Appendix A
    [InlineData("c11a514b67b0", "2013-03-21T20:04:00+00:00")] // RFC 8949 Appendix A
    [InlineData("c1fb41d452d9ec200000", "2013-03-21T20:04:00.5+00:00")] // RFC 8949 Appendix A
    public void ReadDateTime_AppendixATaggedDates_ReturnInstant(string hex, string expected)
    {
        var reader = new CborReader(Convert.FromHexString(hex));
        DateTimeOffset value = hex.StartsWith("c0", StringComparison.Ordinal) ? reader.ReadDateTimeOffset() : reader.ReadUnixTimeSeconds();
        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), value);
        Assert.Equal(0, reader.BytesRemaining);
    }

    private static bool IsIndefinite(byte[] cbor)
    {
        var reader = new CborReader(cbor, CborConformanceMode.Lax);
        int depth = 0;
        do
        {
            CborReaderState state = reader.PeekState();
            switch (state)
            {
                case CborReaderState.StartIndefiniteLengthByteString:
                case CborReaderState.StartIndefiniteLengthTextString:
                    return true;
                case CborReaderState.StartArray:
                    if (reader.ReadStartArray() is null) return true;
                    depth++;
                    break;
                case CborReaderState.StartMap:
                    if (reader.ReadStartMap() is null) return true;
                    depth++;
                    break;
                case CborReaderState.EndArray: reader.ReadEndArray(); depth--; break;
                case CborReaderState.EndMap: reader.ReadEndMap(); depth--; break;
                case CborReaderState.Tag: reader.ReadTag(); break;
                default: reader.SkipValue(); break;
            }
        }
        while (depth > 0 || reader.PeekState() != CborReaderState.Finished);
        return false;
    }
}
