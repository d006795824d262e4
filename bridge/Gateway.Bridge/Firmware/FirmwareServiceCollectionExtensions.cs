using Gateway.Domain;
using Gateway.Storage;
using Gateway.Storage.Attributes;
using Gateway.Storage.Content;
using Gateway.Storage.Outbox;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gateway.Bridge.Firmware;

public static class FirmwareServiceCollectionExtensions
{
    /// <summary>
    /// Options <c>Firmware:*</c> (validated at start), and, when <paramref name="online"/> (a cloud link is
    /// configured), <see cref="FirmwareDownloads"/> as a hosted service with its partial files in
    /// <c>{Storage:DataDir}/firmware-partial</c> and its meter <c>CoapGateway.Firmware</c>. The downlink router finds
    /// <see cref="FirmwareDownloads"/> and hands it <c>fw_*</c> updates that carry <c>fw_url</c>.
    /// Needs the storage services (IContentStore, IAttributeStore, IOutbox) and the bridge's ICloudLink.
    /// </summary>
    public static IServiceCollection AddFirmwareDownloads(this IServiceCollection services, IConfiguration configuration, bool online)
    {
        services.AddOptions<FirmwareOptions>().Bind(configuration.GetSection(FirmwareOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<FirmwareOptions>>(new Validator());
        if (!online) return services;
        services.AddSingleton(new FirmwareFigures());
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<FirmwareOptions>>().Value;
            var time = sp.GetRequiredService<TimeProvider>();
            // No overall timeout: a large image on a slow link takes long; stalls are caught per read (StallSeconds).
            var http = new HttpClient(new SocketsHttpHandler { AutomaticDecompression = System.Net.DecompressionMethods.None, ConnectTimeout = TimeSpan.FromSeconds(30) })
            {
                Timeout = Timeout.InfiniteTimeSpan,
            };
            var loggers = sp.GetRequiredService<ILoggerFactory>();
            var downloader = new FirmwareDownloader(http, options, sp.GetRequiredService<FirmwareFigures>(), time, loggers.CreateLogger<FirmwareDownloader>());
            return new FirmwareDownloads(sp.GetRequiredService<IContentStore>(), sp.GetRequiredService<IAttributeStore>(), sp.GetRequiredService<IDownlinkSignal>(),
                sp.GetRequiredService<IOutbox>(), sp.GetRequiredService<ICloudLink>(), downloader, options, sp.GetRequiredService<FirmwareFigures>(),
                Path.Combine(sp.GetRequiredService<IOptions<StorageOptions>>().Value.DataDir, "firmware-partial"), time, loggers.CreateLogger<FirmwareDownloads>());
        });
        services.AddHostedService(sp => sp.GetRequiredService<FirmwareDownloads>());
        return services;
    }

    private sealed class Validator : IValidateOptions<FirmwareOptions>
    {
        public ValidateOptionsResult Validate(string? name, FirmwareOptions options) =>
            options.Validate() is { Count: > 0 } problems ? ValidateOptionsResult.Fail(problems) : ValidateOptionsResult.Success;
    }
}
