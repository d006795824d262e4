using System.Net;
using Gateway.Devices;
using Gateway.Devices.Coap;
using Gateway.Devices.Exosite;
using Gateway.Devices.Http;
using Gateway.Devices.Refusals;
using Gateway.Devices.ThingsBoard;
using Gateway.Host.Coap;
using Gateway.Host.Configuration;
using Gateway.Host.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Gateway.Host.Devices;

public static class DevicesHostingExtensions
{
    /// <summary>
    /// The device APIs: ThingsBoard's over CoAP (thingsboard.md §2) and HTTP (§3, optional HTTPS on
    /// <c>Http:Tls:Port</c>), Exosite's over CoAP (peers.md §A, section <c>Exosite</c>), provisioning
    /// profiles from <c>Provisioning:Profiles</c>, and the RPC expiry sweep that reports timeouts
    /// upstream (the only sweeper of the downlink queue). Register after the bridge, so the bridge's
    /// cloud link and downlink signal are the ones the device side uses.
    /// </summary>
    public static WebApplicationBuilder AddDevices(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        var configuration = builder.Configuration;
        services.AddSingleton(Bind(configuration, "Provisioning", section => section.Get<ProvisioningOptions>()));
        services.AddSingleton(sp => new RefusalLogOptions { Interval = TimeSpan.FromSeconds(sp.GetRequiredService<IOptions<GatewayOptions>>().Value.RefusalLogIntervalSeconds) });
        // The durable dedup record of a write lasts the EXCHANGE_LIFETIME of the configured transmission parameters
        // (RFC 7252 §4.8.2), so a slow mesh's late retransmissions are still recognised after a restart.
        services.AddSingleton(sp => new DeviceApiOptions
        {
            DedupLifetime = sp.GetRequiredService<IOptions<CoapListenerOptions>>().Value.ToEndpointOptions().ExchangeLifetime,
        });
        services.AddThingsBoardDeviceApi();
        try
        {
            services.AddThingsBoardHttpApi(configuration);
        }
        catch (InvalidOperationException e)
        {
            throw new ConfigurationException(e.Message, e); // one line naming the key, exit 2
        }

        var exosite = Bind(configuration, "Exosite", section => section.Get<ExositeOptions>());
        if (exosite.Validate().FirstOrDefault() is { } problem) throw new ConfigurationException(problem);
        services.AddExositeDeviceApi(o => configuration.GetSection("Exosite").Bind(o));

        services.AddCoapResources((server, sp) => ThingsBoardCoapResources.MapTo(server, sp));
        services.AddCoapResources((server, sp) => ExositeCoapResources.MapTo(server, sp));
        services.AddHttpEndpoints(endpoints => endpoints.MapThingsBoardHttpApi());
        builder.WebHost.ConfigureKestrel((_, kestrel) =>
        {
            var http = kestrel.ApplicationServices.GetRequiredService<IOptions<HttpOptions>>().Value;
            kestrel.ListenThingsBoardHttps(kestrel.ApplicationServices.GetRequiredService<HttpTlsOptions>(), IPAddress.Parse(http.Address));
        });
        services.AddHostedService<RpcExpiryService>();
        return builder;
    }

    // Each caller names its type in the Get<T> call, so the configuration binder's generator can see it.
    private static T Bind<T>(IConfiguration configuration, string section, Func<IConfigurationSection, T?> get) where T : new()
    {
        try
        {
            return get(configuration.GetSection(section)) ?? new T();
        }
        catch (InvalidOperationException e)
        {
            throw new ConfigurationException($"{section}: {e.Message}", e);
        }
    }
}
