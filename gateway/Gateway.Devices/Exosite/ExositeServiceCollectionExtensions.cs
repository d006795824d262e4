using Gateway.Devices.Refusals;
using Gateway.Devices.ThingsBoard;
using Gateway.Domain;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Gateway.Devices.Exosite;

/// <summary>Registration of the Exosite device API services (CoAP mapping in <see cref="ExositeCoapResources"/>).</summary>
public static class ExositeServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="ExositeDataports"/>, <see cref="ExositeProvisioning"/>, <see cref="ExositeRpc"/>,
    /// <see cref="ExositeWriteLimiter"/> and <see cref="ExositeOptions"/> (unless given) as singletons. Shares
    /// the ThingsBoard API's <see cref="AuthFailureLimiter"/> (one failure budget per source for tokens and CIKs)
    /// and <see cref="DeviceApiOptions"/> (dedup lifetime, failure limits). Expects the storage services
    /// (IOutbox, IDeviceStore, IDataportStore, IContentStore) and logging; TimeProvider and IDownlinkSignal
    /// default like <see cref="DeviceApiServiceCollectionExtensions.AddThingsBoardDeviceApi"/>.
    /// </summary>
    public static IServiceCollection AddExositeDeviceApi(this IServiceCollection services, Action<ExositeOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (configure is not null)
        {
            var options = new ExositeOptions();
            configure(options);
            services.AddSingleton(options);
        }
        services.TryAddSingleton<ExositeOptions>();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<DeviceApiOptions>();
        services.TryAddSingleton<IDownlinkSignal, DownlinkSignal>();
        services.TryAddSingleton<RefusalLogOptions>();
        services.TryAddSingleton<RefusalLog>();
        services.TryAddSingleton<AuthFailureLimiter>();
        services.TryAddSingleton<ExositeWriteLimiter>();
        services.TryAddSingleton<ExositeDataports>();
        services.TryAddSingleton<ExositeProvisioning>();
        services.TryAddSingleton<ExositeRpc>();
        return services;
    }
}
