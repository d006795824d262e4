using System.Text.Json.Nodes;
using Gateway.Devices.Exosite.Cbor;

namespace Gateway.Devices.Tests.Exosite.Cbor;

/// <summary>The Exosite CBOR mapping beyond Appendix A: what devices may send, and the bytes answers are written as.</summary>
public class CborJsonTests
{
    private static string Decode(string hex, int maxDepth = 64) =>
        CborJson.TryDecode(Convert.FromHexString(hex), maxDepth, out JsonNode? value, out CborJsonError error)
            ? value?.ToJsonString() ?? "null"
            : $"error:{error}";

    private static string Encode(JsonNode? value) => Convert.ToHexStringLower(CborJson.Encode(value));

    [Theory]
    [InlineData("a26277316432362e31627732626f6e", "{\"w1\":\"26.1\",\"w2\":\"on\"}")] // CoAPExample's multiple write (peers.md §A.2)
    [InlineData("a264617574689f0000ff6563616c6c7380", "{\"auth\":[0,0],\"calls\":[]}")]
    public void TryDecode_DeviceBodies(string hex, string expected) => Assert.Equal(expected, Decode(hex));

    [Theory]
    [InlineData("a201022003", "{\"1\":2,\"-1\":3}")] // RFC 8949 §6.1: integer keys as decimal text
    [InlineData("a13bffffffffffffffff01", "{\"-18446744073709551616\":1}")]
    [InlineData("42fbff", "\"-_8\"")] // §6.1: base64url, no padding
    [InlineData("1801", "1")] // not preferred (§4.1), still well-formed: devices' encoders are not all shortest
    [InlineData("1a00000001", "1")]
    [InlineData("fb3ff0000000000000", "1")]
    [InlineData("bf616180ff", "{\"a\":[]}")]
    [InlineData("7f6161ff", "\"a\"")]
    [InlineData("7fff", "\"\"")]
    [InlineData("5fff", "\"\"")]
    public void TryDecode_Rfc8949Section61Mapping(string hex, string expected) => Assert.Equal(expected, Decode(hex));

    [Theory]
    [InlineData("", "Malformed")] // an empty body is no data item
    [InlineData("62c3", "Malformed")] // truncated
    [InlineData("1c", "Malformed")] // reserved additional information (§3)
    [InlineData("ff", "Malformed")] // a break outside an indefinite item
    [InlineData("bf01ff", "Malformed")] // a key without a value
    [InlineData("9bffffffffffffffff", "Malformed")] // a count far beyond the input: refused before anything is allocated
    [InlineData("7f4161ff", "Malformed")] // a byte-string chunk in a text string (§3.2.3)
    [InlineData("0102", "TrailingData")]
    [InlineData("62c328", "InvalidUtf8")] // §3.1; also in a map value and a key:
    [InlineData("a1617862c328", "InvalidUtf8")]
    [InlineData("a162c32801", "InvalidUtf8")]
    [InlineData("7f61c361bcff", "InvalidUtf8")] // "ü" split over two chunks: each chunk must be valid UTF-8 alone (§3.2.3)
    [InlineData("a2616101616102", "DuplicateKey")] // {"a": 1, "a": 2}
    [InlineData("a2010061310a", "DuplicateKey")] // {1: 0, "1": 10}: the same member name once stringified
    [InlineData("a1410001", "UnsupportedMapKey")] // {h'00': 1}
    [InlineData("a1800001", "UnsupportedMapKey")] // {[]: 1} (the 00 after it is never read)
    [InlineData("a1f93c0001", "UnsupportedMapKey")] // {1.0: 1}
    [InlineData("a16174c11a514b67b0", "UnsupportedTag")] // {"t": 1(1363896240)}
    [InlineData("8201f7", "UnsupportedSimpleValue")] // [1, undefined]
    [InlineData("f801", "UnsupportedSimpleValue")] // two-byte simple below 32: not well-formed either (§3.3); refused all the same
    public void TryDecode_Refusals_AreErrorValues(string hex, string error)
    {
        Assert.False(CborJson.TryDecode(Convert.FromHexString(hex), 64, out JsonNode? value, out CborJsonError actual));
        Assert.Equal(error, actual.ToString());
        Assert.Null(value);
    }

    [Theory]
    [InlineData("01", 0, "1")]
    [InlineData("80", 0, "error:TooDeep")]
    [InlineData("8180", 1, "error:TooDeep")]
    [InlineData("8180", 2, "[[]]")]
    [InlineData("a1616181a0", 2, "error:TooDeep")]
    [InlineData("a1616181a0", 3, "{\"a\":[{}]}")]
    public void TryDecode_MaxDepth_CountsNestedArraysAndMaps(string hex, int maxDepth, string expected) =>
        Assert.Equal(expected, Decode(hex, maxDepth));

    [Fact]
    public void TryDecode_DeepNesting_IsAnErrorValue_NotAStackOverflow()
    {
        byte[] deep = [.. Enumerable.Repeat((byte)0x81, 100_000), 0x01];
        Assert.False(CborJson.TryDecode(deep, 16, out _, out CborJsonError error));
        Assert.Equal(CborJsonError.TooDeep, error);
    }

    [Theory]
    [InlineData("{\"temp\":21.5,\"n\":3,\"ok\":true,\"s\":\"x\",\"z\":null}", "a56474656d70f94d60616e03626f6bf561736178617af6")]
    [InlineData("[1.0, 1e3, 100000.0, 1.1, -0.0]", "85f93c00f963d0fa47c35000fb3ff199999999999af98000")] // §4.1 shortest float that keeps the value
    [InlineData("[-9223372036854775808, 18446744073709551615, -18446744073709551616]", "833b7fffffffffffffff1bffffffffffffffff3bffffffffffffffff")]
    [InlineData("[18446744073709551616, -18446744073709551617]", "82fa5f800000fadf800000")] // beyond 64 bits: a float (§6.2 allows it)
    [InlineData("{\"id\":1,\"status\":\"ok\",\"result\":[[1700000000,64.2]]}", "a36269640166737461747573626f6b66726573756c7481821a6553f100fb40500ccccccccccd")] // object order kept
    public void Encode_ParsedJson_PreferredSerialization(string json, string expectedHex) => Assert.Equal(expectedHex, Encode(JsonNode.Parse(json)));

    [Fact]
    public void Encode_ClrValues()
    {
        var node = new JsonObject { ["d"] = 1.0, ["f"] = 0.5f, ["l"] = 7L, ["i"] = 501, ["m"] = 2.5m, ["u"] = ulong.MaxValue, ["b"] = false, ["s"] = "t", ["n"] = null };
        // {"d": 1.0, "f": 0.5, "l": 7, "i": 501, "m": 2.5, "u": 18446744073709551615, "b": false, "s": "t", "n": null}
        Assert.Equal("a96164f93c006166f93800616c0761691901f5616df941006175" + "1bffffffffffffffff" + "6162f4" + "61736174" + "616ef6", Encode(node));
    }

    [Fact]
    public void RoundTrip_JsonToCborToJson()
    {
        JsonNode original = JsonNode.Parse("{\"a\":[1,2,{\"b\":null}],\"c\":\"\\u00fc\",\"d\":-1.25,\"e\":true}")!;
        Assert.True(CborJson.TryDecode(CborJson.Encode(original), 64, out JsonNode? back, out _));
        Assert.True(JsonNode.DeepEquals(original, back));
    }
}
