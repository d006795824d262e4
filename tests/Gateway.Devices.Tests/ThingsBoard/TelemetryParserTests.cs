using System.Text;
using Gateway.Devices.ThingsBoard;

namespace Gateway.Devices.Tests.ThingsBoard;

/// <summary>The four payload forms of thingsboard.md §1.2 and the outbox row JSON of Gateway.Domain.UplinkPayloads.</summary>
public sealed class TelemetryParserTests
{
    private const long ServerTs = 1_700_000_000_000;

    private static string Row(string payload) =>
        Encoding.UTF8.GetString(TelemetryParser.ToOutboxPayload(TelemetryParser.Parse(Encoding.UTF8.GetBytes(payload), ServerTs)));

    [Theory]
    [InlineData("""{"key1":"value1", "key2":"value2"}""", """[{"ts":1700000000000,"values":{"key1":"value1","key2":"value2"}}]""")]
    [InlineData("""[{"key1":"value1"}, {"key2":"value2"}]""", """[{"ts":1700000000000,"values":{"key1":"value1"}},{"ts":1700000000000,"values":{"key2":"value2"}}]""")]
    [InlineData("""{"ts":1451649600512, "values":{"key1":"value1", "key2":"value2"}}""", """[{"ts":1451649600512,"values":{"key1":"value1","key2":"value2"}}]""")]
    [InlineData("""[{"ts":1,"values":{"a":1}},{"b":true},{"ts":"3","values":{"c":"2.5"}}]""", """[{"ts":1,"values":{"a":1}},{"ts":1700000000000,"values":{"b":true}},{"ts":3,"values":{"c":2.5}}]""")]
    // "ts" without "values" is an ordinary key; "values" without "ts" too
    [InlineData("""{"ts":5,"temp":1}""", """[{"ts":1700000000000,"values":{"ts":5,"temp":1}}]""")]
    [InlineData("""{"values":{"a":1}}""", """[{"ts":1700000000000,"values":{"values":{"a":1}}}]""")]
    [InlineData("""{"t":21.50,"n":"12","big":12345678901234567890,"nested":{"x":[1]},"gone":null}""", """[{"ts":1700000000000,"values":{"t":21.5,"n":12,"big":"12345678901234567890","nested":{"x":[1]}}}]""")]
    [InlineData("[]", "[]")]
    public void Forms_BecomeTsValuesRecords(string payload, string expected) => Assert.Equal(expected, Row(payload));

    [Theory]
    [InlineData("")]
    [InlineData("{")]
    [InlineData("42")]
    [InlineData("\"text\"")]
    [InlineData("null")]
    [InlineData("[1]")]
    [InlineData("[[{\"a\":1}]]")]
    [InlineData("""{"ts":1,"values":[1]}""")]
    [InlineData("""{"ts":"soon","values":{"a":1}}""")]
    [InlineData("""{"a":1} trailing""")]
    public void Malformed_IsPayloadError(string payload) =>
        Assert.Throws<PayloadException>(() => TelemetryParser.Parse(Encoding.UTF8.GetBytes(payload), ServerTs));
}
