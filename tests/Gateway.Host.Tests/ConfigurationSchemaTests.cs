using Gateway.Host.Configuration;

namespace Gateway.Host.Tests;

/// <summary>The keys the gateway knows (issue 20.3) and the data directory the installed binary defaults to (20.6).</summary>
public sealed class ConfigurationSchemaTests
{
    [Theory]
    [InlineData("Mqtt:Host")]
    [InlineData("Mqtt:Tls:CaFile")]
    [InlineData("Coap:DeduplicationCapacity")]
    [InlineData("Coap:Nstart")]
    [InlineData("Coap:ProbingRate")]
    [InlineData("Coap:DefaultLeisureSeconds")]
    [InlineData("Coap:MaxBlockSize")]
    [InlineData("Coap:Multicast:Enabled")]
    [InlineData("Coap:Multicast:Interfaces")]
    [InlineData("Coap:Multicast:MaxResponsesPerSecond")]
    [InlineData("Http:DeviceApi:MaxPayloadBytes")]
    [InlineData("Http:Tls:Port")]
    [InlineData("Storage:MaxAge")]
    [InlineData("Storage:MaintenanceIntervalSeconds")]
    [InlineData("Bridge:DrainRowsPerSecond")]
    [InlineData("Provisioning:Profiles:*:Secret")]
    [InlineData("Exosite:AllowedAliases:*")]
    [InlineData("Gateway:Name")]
    public void KnowsTheDocumentedKeys(string key) => Assert.Contains(key, ConfigurationSchema.Keys);

    [Theory]
    [InlineData("Http:Enabled")]          // computed from Port, not bound
    [InlineData("Gateway:EffectiveName")] // computed
    [InlineData("Storage:DatabasePath")]  // computed
    public void ComputedPropertiesAreNotKeys(string key) => Assert.DoesNotContain(key, ConfigurationSchema.Keys);

    [Theory]
    [InlineData("Mqtt:Hots", "Mqtt:Host")]
    [InlineData("mqtt:host", "Mqtt:Host")]
    [InlineData("Mqqt:Port", "Mqtt:Port")]
    [InlineData("Storage:MaxQueueByte", "Storage:MaxQueueBytes")]
    [InlineData("Bridge:DrainRowPerSecond", "Bridge:DrainRowsPerSecond")]
    [InlineData("Coap:Dtls:Enabeld", "Coap:Dtls:Enabled")] // issue 16: the DTLS keys exist now
    [InlineData("Telemetry:Anything", null)]
    public void Nearest_SuggestsOnlyAPlausibleTypo(string typo, string? expected) => Assert.Equal(expected, ConfigurationSchema.Nearest(typo));

    [Fact]
    public void InstalledBinary_DefaultsToTheServiceStateDirectory_ACheckoutToDataBelowTheWorkingDirectory()
    {
        Assert.Equal("/var/lib/coap-gateway", GatewayPaths.ResolveDataDir(null, null, null, installed: true));
        Assert.Equal(Path.GetFullPath("data"), GatewayPaths.ResolveDataDir(null, null, null, installed: false));
        // Anything named still wins over the installed default.
        Assert.Equal("/srv/gw", GatewayPaths.ResolveDataDir(null, "/srv/gw", null, installed: true));
        Assert.Equal("/run/state", GatewayPaths.ResolveDataDir(null, null, "/run/state", installed: true));
    }
}
