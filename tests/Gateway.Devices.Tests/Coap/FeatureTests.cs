using Gateway.Devices.Coap;

namespace Gateway.Devices.Tests.Coap;

/// <summary>The feature segment of <c>/api/v1/{token}/{feature}</c>: ThingsBoard's feature names, in any case, and nothing else.</summary>
public sealed class FeatureTests
{
    [Theory]
    [InlineData("telemetry", "Telemetry")]
    [InlineData("TELEMETRY", "Telemetry")]
    [InlineData("Attributes", "Attributes")]
    [InlineData("rPc", "Rpc")]
    [InlineData("claim", "Claim")]
    [InlineData("FirmWare", "Firmware")]
    [InlineData("software", "Software")]
    [InlineData("telemetryx", "Unknown")]
    [InlineData("telemetr", "Unknown")]
    [InlineData("", "Unknown")]
    [InlineData("provision", "Unknown")]
    public void Parse_NamesTheFeature_InAnyCase(string segment, string expected) => Assert.Equal(expected, Feature.Parse(segment).ToString());
}
