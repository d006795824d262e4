using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.Devices.Exosite.Cbor;

namespace Gateway.Devices.Tests.Exosite.Cbor;

/// <summary>
/// Every example of RFC 8949 Appendix A ("Examples of Encoded CBOR Data Items") through the Exosite
/// mapping. Columns: the RFC's hex; what the mapping answers (the JSON text of the value, or
/// <c>error:</c> and the <see cref="CborJsonError"/>); the hex <see cref="CborJson.Encode"/> writes
/// for that value (empty for errors). The value is the RFC's except where §6.1 maps it on purpose:
/// ±Infinity and NaN become null, byte strings base64url text, integer map keys decimal text;
/// indefinite lengths come back definite (preferred serialization, §4.1). Tags, undefined and other
/// simple values have no JSON-like value: the mapping refuses them with an error value.
/// </summary>
public class AppendixATests
{
    // JSON text without \uXXXX escapes for non-ASCII, so the table shows the characters.
    private static readonly JsonSerializerOptions Unescaped = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

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
        { "c249010000000000000000", "error:UnsupportedTag", "" },
        { "3bffffffffffffffff", "-18446744073709551616", "3bffffffffffffffff" },
        { "c349010000000000000000", "error:UnsupportedTag", "" },
        { "20", "-1", "20" },
        { "29", "-10", "29" },
        { "3863", "-100", "3863" },
        { "3903e7", "-1000", "3903e7" },
        { "f90000", "0", "f90000" },
        { "f98000", "-0", "f98000" },
        { "f93c00", "1", "f93c00" },
        { "fb3ff199999999999a", "1.1", "fb3ff199999999999a" },
        { "f93e00", "1.5", "f93e00" },
        { "f97bff", "65504", "f97bff" },
        { "fa47c35000", "100000", "fa47c35000" },
        { "fa7f7fffff", "3.4028234663852886E+38", "fa7f7fffff" },
        { "fb7e37e43c8800759c", "1E+300", "fb7e37e43c8800759c" },
        { "f90001", "5.960464477539063E-08", "f90001" },
        { "f90400", "6.103515625E-05", "f90400" },
        { "f9c400", "-4", "f9c400" },
        { "fbc010666666666666", "-4.1", "fbc010666666666666" },
        { "f97c00", "null", "f6" },
        { "f97e00", "null", "f6" },
        { "f9fc00", "null", "f6" },
        { "fa7f800000", "null", "f6" },
        { "fa7fc00000", "null", "f6" },
        { "faff800000", "null", "f6" },
        { "fb7ff0000000000000", "null", "f6" },
        { "fb7ff8000000000000", "null", "f6" },
        { "fbfff0000000000000", "null", "f6" },
        { "f4", "false", "f4" },
        { "f5", "true", "f5" },
        { "f6", "null", "f6" },
        { "f7", "error:UnsupportedSimpleValue", "" },
        { "f0", "error:UnsupportedSimpleValue", "" },
        { "f8ff", "error:UnsupportedSimpleValue", "" },
        { "c074323031332d30332d32315432303a30343a30305a", "error:UnsupportedTag", "" },
        { "c11a514b67b0", "error:UnsupportedTag", "" },
        { "c1fb41d452d9ec200000", "error:UnsupportedTag", "" },
        { "d74401020304", "error:UnsupportedTag", "" },
        { "d818456449455446", "error:UnsupportedTag", "" },
        { "d82076687474703a2f2f7777772e6578616d706c652e636f6d", "error:UnsupportedTag", "" },
        { "40", "\"\"", "60" },
        { "4401020304", "\"AQIDBA\"", "66415149444241" },
        { "60", "\"\"", "60" },
        { "6161", "\"a\"", "6161" },
        { "6449455446", "\"IETF\"", "6449455446" },
        { "62225c", "\"\\\"\\\\\"", "62225c" },
        { "62c3bc", "\"\u00fc\"", "62c3bc" },
        { "63e6b0b4", "\"\u6c34\"", "63e6b0b4" },
        { "64f0908591", "\"\\uD800\\uDD51\"", "64f0908591" }, // U+10151: System.Text.Json escapes characters beyond the BMP even when relaxed
        { "80", "[]", "80" },
        { "83010203", "[1,2,3]", "83010203" },
        { "8301820203820405", "[1,[2,3],[4,5]]", "8301820203820405" },
        { "98190102030405060708090a0b0c0d0e0f101112131415161718181819", "[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25]", "98190102030405060708090a0b0c0d0e0f101112131415161718181819" },
        { "a0", "{}", "a0" },
        { "a201020304", "{\"1\":2,\"3\":4}", "a2613102613304" },
        { "a26161016162820203", "{\"a\":1,\"b\":[2,3]}", "a26161016162820203" },
        { "826161a161626163", "[\"a\",{\"b\":\"c\"}]", "826161a161626163" },
        { "a56161614161626142616361436164614461656145", "{\"a\":\"A\",\"b\":\"B\",\"c\":\"C\",\"d\":\"D\",\"e\":\"E\"}", "a56161614161626142616361436164614461656145" },
        { "5f42010243030405ff", "\"AQIDBAU\"", "6741514944424155" },
        { "7f657374726561646d696e67ff", "\"streaming\"", "6973747265616d696e67" },
        { "9fff", "[]", "80" },
        { "9f018202039f0405ffff", "[1,[2,3],[4,5]]", "8301820203820405" },
        { "9f01820203820405ff", "[1,[2,3],[4,5]]", "8301820203820405" },
        { "83018202039f0405ff", "[1,[2,3],[4,5]]", "8301820203820405" },
        { "83019f0203ff820405", "[1,[2,3],[4,5]]", "8301820203820405" },
        { "9f0102030405060708090a0b0c0d0e0f101112131415161718181819ff", "[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25]", "98190102030405060708090a0b0c0d0e0f101112131415161718181819" },
        { "bf61610161629f0203ffff", "{\"a\":1,\"b\":[2,3]}", "a26161016162820203" },
        { "826161bf61626163ff", "[\"a\",{\"b\":\"c\"}]", "826161a161626163" },
        { "bf6346756ef563416d7421ff", "{\"Fun\":true,\"Amt\":-2}", "a26346756ef563416d7421" },
    };

    [Theory]
    [MemberData(nameof(Vectors))]
    public void TryDecode_AppendixAVector_AnswersTheMappedValueOrAnErrorValue(string hex, string answer, string reencoded)
    {
        _ = reencoded;
        bool ok = CborJson.TryDecode(Convert.FromHexString(hex), 64, out JsonNode? value, out CborJsonError error);
        Assert.Equal(answer, ok ? value?.ToJsonString(Unescaped) ?? "null" : $"error:{error}");
        if (!ok) Assert.Null(value);
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Encode_DecodedAppendixAValue_WritesPreferredSerialization(string hex, string answer, string reencoded)
    {
        _ = answer;
        if (!CborJson.TryDecode(Convert.FromHexString(hex), 64, out JsonNode? value, out _)) return;
        Assert.Equal(reencoded, Convert.ToHexStringLower(CborJson.Encode(value)));
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Decode_Encode_Decode_IsStable(string hex, string answer, string reencoded)
    {
        _ = (answer, reencoded);
        if (!CborJson.TryDecode(Convert.FromHexString(hex), 64, out JsonNode? value, out _)) return;
        Assert.True(CborJson.TryDecode(CborJson.Encode(value), 64, out JsonNode? again, out CborJsonError error), error.ToString());
        Assert.True(JsonNode.DeepEquals(value, again));
    }
}
