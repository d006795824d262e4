using Gateway.Devices;
using Gateway.Devices.Coap;
using Gateway.Devices.ThingsBoard;
using Gateway.Host.Coap;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Gateway.Host.Devices;

public static class DevicesHostingExtensions
{
    /// <summary>
    /// The device APIs: ThingsBoard's over CoAP (thingsboard.md §2) with provisioning profiles from
    /// <c>Provisioning:Profiles</c>, and the RPC expiry sweep that reports timeouts upstream (the only
    /// sweeper of the downlink queue). Register after the bridge, so the bridge's cloud link and
    /// downlink signal are the ones the device side uses.
    /// </summary>
    public static IHostApplicationBuilder AddDevices(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddSingleton(builder.Configuration.GetSection("Provisioning").Get<ProvisioningOptions>() ?? new ProvisioningOptions());
        services.AddThingsBoardDeviceApi();
        services.AddCoapResources((server, sp) => ThingsBoardCoapResources.MapTo(server, sp));
        services.AddHostedService<RpcExpiryService>();
        return builder;
    }
}
