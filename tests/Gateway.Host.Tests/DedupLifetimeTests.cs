using Gateway.Devices.ThingsBoard;
using Gateway.Host.Coap;
using Gateway.Host.Devices;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Host.Tests;

/// <summary>Issue 17: the durable dedup record of a write follows the configured EXCHANGE_LIFETIME (RFC 7252 §4.8.2), not a fixed 247 s.</summary>
public sealed class DedupLifetimeTests
{
    private static TimeSpan DedupLifetime(params (string Key, string Value)[] settings)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration.AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)));
        builder.AddCoapServer();
        builder.AddDevices();
        using var services = builder.Services.BuildServiceProvider();
        return services.GetRequiredService<DeviceApiOptions>().DedupLifetime;
    }

    [Fact]
    public void Defaults_Give247Seconds() => Assert.Equal(TimeSpan.FromSeconds(247), DedupLifetime());

    [Fact]
    public void SlowMesh_GivesItsDerivedExchangeLifetime() =>
        // 10 × 31 × 1.5 + 2 × 100 + 10
        Assert.Equal(TimeSpan.FromSeconds(675), DedupLifetime(("Coap:AckTimeoutSeconds", "10"), ("Coap:MaxRetransmit", "5")));
}
