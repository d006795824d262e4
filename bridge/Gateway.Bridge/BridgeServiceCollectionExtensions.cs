using Gateway.Bridge.Devices;
using Gateway.Bridge.Downlinks;
using Gateway.Bridge.Firmware;
using Gateway.Bridge.Forwarding;
using Gateway.Bridge.Limits;
using Gateway.Bridge.Logs;
using Gateway.Bridge.Service;
using Gateway.Domain;
using Gateway.Mqtt.Client;
using Gateway.Storage.Attributes;
using Gateway.Storage.Devices;
using Gateway.Storage.Downlinks;
using Gateway.Storage.Outbox;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gateway.Bridge;

public static class BridgeServiceCollectionExtensions
{
    /// <summary>
    /// Registers the ThingsBoard bridge: options <c>Mqtt:*</c> and <c>Bridge:*</c> (validated at start,
    /// one line per problem naming the key), <see cref="BridgeStatus"/> (heartbeat, counters),
    /// <see cref="BridgeMetrics"/> (Meter <c>CoapGateway.Bridge</c>), <see cref="ICloudLink"/>,
    /// <see cref="IDownlinkSignal"/> (if not registered yet) and the hosted
    /// <see cref="ThingsBoardBridge"/>. Needs the storage services (IOutbox, IDeviceStore, IAttributeStore,
    /// IDownlinkQueue). With an empty <c>Mqtt:Host</c> nothing connects: <see cref="ICloudLink"/> is
    /// <see cref="OfflineCloudLink"/> and the outbox simply fills (buffer only). RPC timeouts are
    /// reported by the device side (Gateway.Devices <c>RpcExpiryReporter</c>) as RpcReply rows, which
    /// the forwarder publishes like any reply.
    /// </summary>
    public static IServiceCollection AddThingsBoardBridge(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<MqttClientOptions>().Bind(configuration.GetSection("Mqtt")).ValidateOnStart();
        services.AddSingleton<IValidateOptions<MqttClientOptions>>(new LineValidator<MqttClientOptions>(o => o.Validate("Mqtt")));
        services.AddOptions<BridgeOptions>().Bind(configuration.GetSection(BridgeOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<BridgeOptions>>(new LineValidator<BridgeOptions>(o => o.Validate()));

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IDownlinkSignal, DownlinkSignal>();
        services.TryAddSingleton(sp => new BridgeStatus(sp.GetRequiredService<TimeProvider>()));

        if (string.IsNullOrWhiteSpace(configuration["Mqtt:Host"]))
        {
            services.TryAddSingleton<ICloudLink, OfflineCloudLink>();
            services.AddSingleton(sp => new BridgeMetrics(sp.GetRequiredService<BridgeStatus>()));
            services.AddHostedService<BufferOnlyNotice>();
            return services;
        }

        services.AddSingleton(sp => sp.GetRequiredService<IOptions<BridgeOptions>>().Value);
        services.AddSingleton(sp => new MqttClient(sp.GetRequiredService<IOptions<MqttClientOptions>>().Value,
            sp.GetService<ILogger<MqttClient>>(), sp.GetRequiredService<TimeProvider>()));
        // Held until the first getSessionLimits answer (or its timeout) unless the session limits are switched off.
        services.AddSingleton(sp =>
        {
            var share = sp.GetRequiredService<BridgeOptions>().SessionLimitsSharePercent;
            return new SessionPacer(sp.GetRequiredService<TimeProvider>(), share / 100, holdUntilFirstAnswer: share > 0);
        });
        // Warnings and errors for the gateway device when its RemoteLoggingLevel attribute asks (off until then).
        services.AddSingleton(sp => new CloudLogProvider(sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<ILoggerProvider>(sp => sp.GetRequiredService<CloudLogProvider>());
        services.AddSingleton(sp => new CloudLogShipper(sp.GetRequiredService<MqttClient>(), sp.GetRequiredService<CloudLogProvider>(),
            sp.GetRequiredService<BridgeOptions>(), sp.GetRequiredService<BridgeStatus>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<SessionPacer>()));
        services.AddSingleton(sp => new BridgeMetrics(sp.GetRequiredService<BridgeStatus>(), sp.GetRequiredService<MqttClient>(), sp.GetRequiredService<SessionPacer>(),
            sp.GetRequiredService<CloudLogProvider>(), sp.GetRequiredService<CloudLogShipper>()));
        services.AddSingleton(sp => new CloudNames(sp.GetService<ICloudNameStore>()));
        services.AddSingleton(sp => new DeviceTracker(sp.GetRequiredService<IDeviceStore>(), sp.GetRequiredService<BridgeOptions>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new MqttCloudLink(sp.GetRequiredService<MqttClient>(), sp.GetRequiredService<BridgeStatus>(),
            sp.GetRequiredService<BridgeOptions>(), sp.GetRequiredService<TimeProvider>(), sp.GetService<ILogger<MqttCloudLink>>(),
            sp.GetRequiredService<CloudNames>(), sp.GetRequiredService<SessionPacer>()));
        services.AddSingleton(sp => new SessionLimitsReader(sp.GetRequiredService<MqttClient>(), sp.GetRequiredService<MqttCloudLink>(),
            sp.GetRequiredService<SessionPacer>(), sp.GetRequiredService<BridgeOptions>(), sp.GetRequiredService<BridgeStatus>(),
            sp.GetRequiredService<TimeProvider>(), sp.GetService<ILogger<SessionLimitsReader>>()));
        services.AddSingleton<ICloudLink>(sp => sp.GetRequiredService<MqttCloudLink>());
        services.AddSingleton(sp => new Forwarder(sp.GetRequiredService<MqttClient>(), sp.GetRequiredService<IOutbox>(), sp.GetRequiredService<DeviceTracker>(),
            sp.GetRequiredService<MqttCloudLink>(), sp.GetRequiredService<BridgeOptions>(), sp.GetRequiredService<BridgeStatus>(),
            sp.GetRequiredService<TimeProvider>(), sp.GetService<ILogger<Forwarder>>(), sp.GetRequiredService<CloudNames>(), sp.GetRequiredService<SessionPacer>()));
        services.AddSingleton(sp => new ServiceRpcs(sp.GetRequiredService<MqttClient>(), sp.GetRequiredService<DeviceTracker>(),
            sp.GetRequiredService<IDeviceStore>(), sp.GetRequiredService<CloudNames>(), sp.GetRequiredService<BridgeStatus>(),
            sp.GetService<IGatewayControl>(), sp.GetService<ILogger<ServiceRpcs>>()));
        services.AddSingleton(sp => new DownlinkRouter(sp.GetRequiredService<MqttClient>(), sp.GetRequiredService<IDeviceStore>(),
            sp.GetRequiredService<IAttributeStore>(), sp.GetRequiredService<IDownlinkQueue>(), sp.GetRequiredService<IDownlinkSignal>(),
            sp.GetRequiredService<MqttCloudLink>(), sp.GetRequiredService<DeviceTracker>(), sp.GetRequiredService<BridgeOptions>(),
            sp.GetRequiredService<BridgeStatus>(), sp.GetService<ILogger<DownlinkRouter>>(), sp.GetRequiredService<ServiceRpcs>(),
            sp.GetRequiredService<CloudNames>(), sp.GetRequiredService<CloudLogShipper>(), sp.GetService<FirmwareDownloads>()));
        services.AddHostedService(sp => new ThingsBoardBridge(sp.GetRequiredService<MqttClient>(), sp.GetRequiredService<Forwarder>(),
            sp.GetRequiredService<DownlinkRouter>(), sp.GetRequiredService<DeviceTracker>(), sp.GetRequiredService<BridgeOptions>(),
            sp.GetRequiredService<BridgeMetrics>(), sp.GetRequiredService<TimeProvider>(), sp.GetService<ILogger<ThingsBoardBridge>>(),
            sp.GetRequiredService<CloudNames>(),
            sp.GetRequiredService<BridgeOptions>().SessionLimitsSharePercent > 0 ? sp.GetRequiredService<SessionLimitsReader>() : null,
            sp.GetRequiredService<CloudLogShipper>()));
        return services;
    }

    private sealed class LineValidator<T>(Func<T, IEnumerable<string>> validate) : IValidateOptions<T> where T : class
    {
        public ValidateOptionsResult Validate(string? name, T options)
        {
            var problems = validate(options).ToList();
            return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
        }
    }
}
