using Gateway.Devices.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Devices.Tests.Http;

/// <summary><c>AddThingsBoardHttpApi(configuration)</c>: options bound from <c>Http:DeviceApi</c> and <c>Http:Tls</c>, a bad value names its key.</summary>
public sealed class RegistrationTests
{
    private static IConfiguration Config(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();

    [Fact]
    public void BindsBothSections()
    {
        var services = new ServiceCollection().AddThingsBoardHttpApi(Config(("Http:DeviceApi:MaxPayloadBytes", "2048"), ("Http:DeviceApi:MaxPollTimeout", "00:05:00"),
            ("Http:Tls:Port", "0"), ("Http:Tls:CertificateFile", "/etc/coap-gateway/cert.pem")));
        using var provider = services.BuildServiceProvider();

        Assert.Equal(2048, provider.GetRequiredService<HttpApiOptions>().MaxPayloadBytes);
        Assert.Equal(TimeSpan.FromMinutes(5), provider.GetRequiredService<HttpApiOptions>().MaxPollTimeout);
        Assert.Equal("/etc/coap-gateway/cert.pem", provider.GetRequiredService<HttpTlsOptions>().CertificateFile);
        Assert.Equal(65_536, provider.GetRequiredService<HttpApiOptions>().MaxRpcPayloadBytes);
    }

    [Fact]
    public void BadValue_ThrowsNamingTheKey()
    {
        var e = Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddThingsBoardHttpApi(Config(("Http:Tls:Port", "8443"))));
        Assert.Equal("Http:Tls:CertificateFile is required when Http:Tls:Port is set", e.Message);
        e = Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddThingsBoardHttpApi(Config(("Http:DeviceApi:MaxLongPolls", "0"))));
        Assert.StartsWith("Http:DeviceApi:MaxLongPollsPerDevice and MaxLongPolls", e.Message);
    }
}
