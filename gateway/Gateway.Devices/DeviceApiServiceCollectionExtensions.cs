using Gateway.Devices.Refusals;
using Gateway.Devices.ThingsBoard;
using Gateway.Domain;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Gateway.Devices;

/// <summary>Registration of the ThingsBoard device API services (transport-independent; CoAP mapping in <c>ThingsBoardCoapResources</c>).</summary>
public static class DeviceApiServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="DeviceApi"/>, <see cref="ProvisioningService"/>, <see cref="OtaService"/>, <see cref="RpcExpiryReporter"/> (the host runs its RunAsync),
    /// the <see cref="RefusalLog"/> (its summary interval from <see cref="RefusalLogOptions"/> when registered before) and their parts as singletons.
    /// Expects the storage services (IOutbox, IDeviceStore, IAttributeStore, IDownlinkQueue, IContentStore), logging, and
    /// optionally <see cref="DeviceApiOptions"/>, <see cref="ProvisioningOptions"/>, <see cref="ICloudLink"/> (default: offline),
    /// <see cref="IDownlinkSignal"/> and <see cref="TimeProvider"/> (default: system) to be registered by the host.
    /// </summary>
    public static IServiceCollection AddThingsBoardDeviceApi(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<DeviceApiOptions>();
        services.TryAddSingleton<ProvisioningOptions>();
        services.TryAddSingleton<ICloudLink, OfflineCloudLink>();
        services.TryAddSingleton<IDownlinkSignal, DownlinkSignal>();
        services.TryAddSingleton<RefusalLogOptions>();
        services.TryAddSingleton<RefusalLog>();
        services.TryAddSingleton<AuthFailureLimiter>();
        services.TryAddSingleton<DeviceAuthenticator>();
        services.TryAddSingleton<DeviceApi>();
        services.TryAddSingleton<ProvisioningService>();
        services.TryAddSingleton<OtaService>();
        services.TryAddSingleton<RpcExpiryReporter>();
        return services;
    }
}
