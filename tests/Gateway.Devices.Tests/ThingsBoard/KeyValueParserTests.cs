using System.Text.Json;
using Gateway.Devices.ThingsBoard;

namespace Gateway.Devices.Tests.ThingsBoard;

/// <summary>thingsboard.md §1.1, value by value (JsonConverter.parseValue / parseNumericValue, type cast enabled).</summary>
public sealed class KeyValueParserTests
{
    private static KeyValue Parse(string json)
    {
        using var document = JsonDocument.Parse("{\"k\":" + json + "}");
        Assert.True(KeyValueParser.TryParseValue("k", document.RootElement.GetProperty("k"), out var value));
        return value;
    }

    [Theory]
    // integers → LONG
    [InlineData("42", KeyValueType.Long, "42")]
    [InlineData("-7", KeyValueType.Long, "-7")]
    [InlineData("0", KeyValueType.Long, "0")]
    [InlineData("-0", KeyValueType.Long, "0")]
    [InlineData("9223372036854775807", KeyValueType.Long, "9223372036854775807")]
    [InlineData("-9223372036854775808", KeyValueType.Long, "-9223372036854775808")]
    [InlineData("1e2", KeyValueType.Long, "100")]        // exponent, no fraction after stripping → integer
    [InlineData("1.5e1", KeyValueType.Long, "15")]       // not a "simple double" (has e), scale 0
    // beyond int64 → STRING
    [InlineData("9223372036854775808", KeyValueType.String, "\"9223372036854775808\"")]
    [InlineData("-123456789012345678901234567890", KeyValueType.String, "\"-123456789012345678901234567890\"")]
    [InlineData("1e20", KeyValueType.String, "\"100000000000000000000\"")]
    // decimals → DOUBLE, written so ThingsBoard reads a double again
    [InlineData("42.0", KeyValueType.Double, "42.0")]
    [InlineData("21.5", KeyValueType.Double, "21.5")]
    [InlineData("-0.25", KeyValueType.Double, "-0.25")]
    [InlineData("1.25e1", KeyValueType.Double, "12.5")]
    [InlineData("1e-3", KeyValueType.Double, "0.001")]
    [InlineData("0.1234567890123456", KeyValueType.Double, "0.1234567890123456")] // scale 16
    // scale > 16 → STRING of the plain digits
    [InlineData("0.12345678901234567", KeyValueType.String, "\"0.12345678901234567\"")]
    [InlineData("1e-20", KeyValueType.String, "\"0.00000000000000000001\"")]
    // booleans, strings, JSON
    [InlineData("true", KeyValueType.Boolean, "true")]
    [InlineData("false", KeyValueType.Boolean, "false")]
    [InlineData("\"on\"", KeyValueType.String, "\"on\"")]
    [InlineData("\"\"", KeyValueType.String, "\"\"")]
    [InlineData("\"Grüße \\\"x\\\"\"", KeyValueType.String, "\"Grüße \\\"x\\\"\"")]
    [InlineData("{\"a\": [1, 2]}", KeyValueType.Json, "{\"a\":[1,2]}")]
    [InlineData("[1,\"x\",null]", KeyValueType.Json, "[1,\"x\",null]")]
    public void Value_IsTypedAsThingsBoardDoes(string json, KeyValueType type, string expected)
    {
        var value = Parse(json);
        Assert.Equal(type, value.Type);
        Assert.Equal(expected, value.Json);
    }

    [Theory]
    // numeric strings are cast (type_cast_enabled default true)
    [InlineData("\"42\"", KeyValueType.Long, "42")]
    [InlineData("\"-42\"", KeyValueType.Long, "-42")]
    [InlineData("\"007\"", KeyValueType.Long, "7")]
    [InlineData("\"42.5\"", KeyValueType.Double, "42.5")]
    [InlineData("\"42.0\"", KeyValueType.Double, "42.0")]
    [InlineData("\".5\"", KeyValueType.Double, "0.5")]
    [InlineData("\"-.5\"", KeyValueType.Double, "-0.5")]
    [InlineData("\"99999999999999999999\"", KeyValueType.String, "\"99999999999999999999\"")]
    // not parsable per commons-lang NumberUtils.isParsable → stays a string
    [InlineData("\"1e5\"", KeyValueType.String, "\"1e5\"")]
    [InlineData("\"+5\"", KeyValueType.String, "\"+5\"")]
    [InlineData("\"5.\"", KeyValueType.String, "\"5.\"")]
    [InlineData("\"-\"", KeyValueType.String, "\"-\"")]
    [InlineData("\"1.2.3\"", KeyValueType.String, "\"1.2.3\"")]
    [InlineData("\" 5\"", KeyValueType.String, "\" 5\"")]
    [InlineData("\"0x1F\"", KeyValueType.String, "\"0x1F\"")]
    [InlineData("\"NaN\"", KeyValueType.String, "\"NaN\"")]
    public void NumericString_IsCastOnlyWhenParsable(string json, KeyValueType type, string expected)
    {
        var value = Parse(json);
        Assert.Equal(type, value.Type);
        Assert.Equal(expected, value.Json);
    }

    [Fact]
    public void Null_IsSkipped()
    {
        using var document = JsonDocument.Parse("""{"a":null,"b":1}""");
        var values = KeyValueParser.ParseObject(document.RootElement);
        Assert.Equal(["b"], values.Select(v => v.Key));
    }

    [Fact]
    public void RepeatedKey_KeepsFirstPositionAndLastValue()
    {
        using var document = JsonDocument.Parse("""{"a":1,"b":2,"a":3}""");
        var values = KeyValueParser.ParseObject(document.RootElement);
        Assert.Equal(["a=3", "b=2"], values.Select(v => $"{v.Key}={v.Json}"));
    }

    [Fact]
    public void HugeExponent_IsRejectedNotExpanded() =>
        Assert.Throws<PayloadException>(() => Parse("1e100000"));

    [Theory]
    [InlineData(42.0, "42.0")]
    [InlineData(1e20, "100000000000000000000.0")]
    [InlineData(1e-7, "1E-07")]
    [InlineData(-3.5, "-3.5")]
    public void FormatDouble_AlwaysReadsBackAsDouble(double value, string expected) =>
        Assert.Equal(expected, KeyValueParser.FormatDouble(value));
}
