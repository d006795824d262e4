using Gateway.Host.Configuration;
using Gateway.Storage;
using Gateway.Storage.Attributes;
using Gateway.Storage.Content;
using Gateway.Storage.Dataports;
using Gateway.Storage.Devices;
using Gateway.Storage.Downlinks;
using Gateway.Storage.Observe;
using Gateway.Storage.Outbox;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gateway.Host.Storage;

public static class StorageHostingExtensions
{
    /// <summary>
    /// The gateway database and its stores as singletons, opened at start (before the CoAP socket)
    /// and closed at stop, plus the periodic expiry sweeps. Register before any listener.
    /// </summary>
    public static IHostApplicationBuilder AddGatewayStorage(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<StorageOptions>().BindConfiguration(StorageOptionsValidation.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<StorageOptions>>(new OptionsValidator<StorageOptions>(StorageOptionsValidation.Validate));
        services.AddOptions<StorageMaintenanceOptions>().BindConfiguration(StorageOptionsValidation.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<StorageMaintenanceOptions>>(new OptionsValidator<StorageMaintenanceOptions>(o => o.Validate()));

        services.AddSingleton(sp => SqliteDatabase.Open(sp.GetRequiredService<IOptions<StorageOptions>>().Value));
        // Only the service process owns a SqliteOutbox (it keeps the counters and the group-commit writer); the CLI reads stats.
        services.AddSingleton<OutboxCompletionScope>();
        services.AddSingleton<IOutbox>(sp => new SqliteOutbox(sp.GetRequiredService<SqliteDatabase>(), sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<SqliteOutbox>>(), completionScope: sp.GetRequiredService<OutboxCompletionScope>()));
        services.AddSingleton<IDeviceStore>(sp => new SqliteDeviceStore(sp.GetRequiredService<SqliteDatabase>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<ICloudNameStore>(sp => new SqliteCloudNameStore(sp.GetRequiredService<SqliteDatabase>()));
        services.AddSingleton<IContentStore>(sp => new SqliteContentStore(sp.GetRequiredService<SqliteDatabase>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<IAttributeStore>(sp => new SqliteAttributeStore(sp.GetRequiredService<SqliteDatabase>()));
        services.AddSingleton<IDataportStore>(sp => new SqliteDataportStore(sp.GetRequiredService<SqliteDatabase>()));
        services.AddSingleton<IDownlinkQueue>(sp => new SqliteDownlinkQueue(sp.GetRequiredService<SqliteDatabase>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<IObservationStore>(sp => new SqliteObservationStore(sp.GetRequiredService<SqliteDatabase>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<OutboxStatsSampler>();
        services.AddHostedService<StorageService>();
        services.AddHostedService<StorageMaintenanceService>();
        return builder;
    }
}
