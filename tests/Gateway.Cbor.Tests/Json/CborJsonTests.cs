using System.Text.Json.Nodes;
using Gateway.Cbor.Tests.Support;

namespace Gateway.Cbor.Tests.Json;

public class CborJsonTests
{
    private static string ToJson(string diagnostic) =>
        CborJson.ToJsonNode(DiagnosticParser.Encode(diagnostic), CborConformanceMode.Lax)?.ToJsonString() ?? "null";

    [Theory]
    [InlineData("{\"a\": 1, \"b\": [2, 3]}", "{\"a\":1,\"b\":[2,3]}")]
    [InlineData("{1: 2, -3: 4}", "{\"1\":2,\"-3\":4}")]
    [InlineData("{h'0102': true, [1]: false}", "{\"AQI\":true,\"[1]\":false}")]
    [InlineData("h'fbff'", "\"-_8\"")]
    [InlineData("22(h'fbff')", "\"\\u002B/8=\"")] // "+/8=" (System.Text.Json escapes '+')
    [InlineData("23(h'fbff')", "\"fbff\"")]
    [InlineData("18446744073709551615", "18446744073709551615")]
    [InlineData("-18446744073709551616", "-18446744073709551616")]
    [InlineData("18446744073709551616", "18446744073709551616")]
    [InlineData("2(h'01000000000000000000000000000000')", "\"1329227995784915872903807060280344576\"")]
    [InlineData("1.5", "1.5")]
    [InlineData("NaN", "null")]
    [InlineData("-Infinity", "null")]
    [InlineData("undefined", "null")]
    [InlineData("simple(16)", "null")]
    [InlineData("0(\"2013-03-21T20:04:00Z\")", "\"2013-03-21T20:04:00Z\"")]
    [InlineData("(_ \"strea\", \"ming\")", "\"streaming\"")]
    [InlineData("[_ 1, {_ \"x\": null}]", "[1,{\"x\":null}]")]
    public void ToJsonNode_Rfc8949Section61Mapping(string diagnostic, string expectedJson) => Assert.Equal(expectedJson, ToJson(diagnostic));

    [Fact]
    public void ToJsonNode_StringifiedKeyCollision_IsContentError()
    {
        var e = Assert.Throws<CborContentException>(() => ToJson("{1: 0, \"1\": 0}"));
        Assert.Equal(CborContentError.DuplicateKey, e.Error);
    }

    [Fact]
    public void ToJsonNode_TrailingBytes_IsContentError()
    {
        Assert.Equal(CborContentError.TrailingData, Assert.Throws<CborContentException>(() => CborJson.ToJsonNode(new byte[] { 1, 2 })).Error);
    }

    [Theory]
    [InlineData("{\"temp\":21.5,\"n\":3,\"ok\":true,\"s\":\"x\",\"z\":null}", "{\"temp\": 21.5, \"n\": 3, \"ok\": true, \"s\": \"x\", \"z\": null}")]
    [InlineData("[1.0, 1e3, 100000.0, 1.1, -0.0]", "[1.0, 1000.0, 100000.0, 1.1, -0.0]")]
    [InlineData("[-9223372036854775808, 18446744073709551615, 18446744073709551616, -18446744073709551617]",
        "[-9223372036854775808, 18446744073709551615, 2(h'010000000000000000'), 3(h'010000000000000000')]")]
    public void FromJsonNode_ParsedJson(string json, string expectedDiagnostic)
    {
        byte[] cbor = CborJson.FromJsonNode(JsonNode.Parse(json));
        Assert.Equal(expectedDiagnostic, CborDiagnostic.ToDiagnosticString(cbor));
    }

    [Fact]
    public void FromJsonNode_ClrValues()
    {
        var node = new JsonObject { ["d"] = 1.0, ["f"] = 0.5f, ["l"] = 7L, ["m"] = 2.5m, ["u"] = ulong.MaxValue, ["b"] = false, ["s"] = "t" };
        Assert.Equal("{\"d\": 1.0, \"f\": 0.5, \"l\": 7, \"m\": 2.5, \"u\": 18446744073709551615, \"b\": false, \"s\": \"t\"}",
            CborDiagnostic.ToDiagnosticString(CborJson.FromJsonNode(node)));
    }

    [Fact]
    public void RoundTrip_JsonToCborToJson()
    {
        const string json = "{\"a\":[1,2,{\"b\":null}],\"c\":\"\\u00fc\",\"d\":-1.25,\"e\":true}";
        JsonNode original = JsonNode.Parse(json)!;
        Assert.True(JsonNode.DeepEquals(original, CborJson.ToJsonNode(CborJson.FromJsonNode(original))));
    }
}
