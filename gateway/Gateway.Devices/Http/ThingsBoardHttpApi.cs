using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Gateway.Devices.Http;

/// <summary>
/// ThingsBoard's HTTP device API (thingsboard.md §3) on the host's Kestrel app, served by the same services as the
/// CoAP resources (<see cref="DeviceApiServiceCollectionExtensions.AddThingsBoardDeviceApi"/>). Host wiring:
/// <code>
/// builder.Services.AddThingsBoardHttpApi(builder.Configuration);          // + AddThingsBoardDeviceApi and storage
/// builder.Services.AddHttpEndpoints(e => e.MapThingsBoardHttpApi());
/// kestrel.ListenThingsBoardHttps(tlsOptions, IPAddress.Parse(http.Address)); // optional HTTPS port (ThingsBoardHttps)
/// </code>
/// </summary>
public static class ThingsBoardHttpApi
{
    /// <summary>
    /// Registers the HTTP endpoints' parts and the device API services (TryAdd: a host's own registrations win).
    /// <see cref="HttpApiOptions"/> and <see cref="HttpTlsOptions"/> default unless registered before.
    /// </summary>
    public static IServiceCollection AddThingsBoardHttpApi(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddThingsBoardDeviceApi();
        services.TryAddSingleton<HttpApiOptions>();
        services.TryAddSingleton<HttpTlsOptions>();
        services.TryAddSingleton<LongPollLimiter>();
        services.TryAddSingleton<DownlinkWaiter>();
        services.TryAddSingleton<DeviceHandlers>();
        services.TryAddSingleton<LongPollHandlers>();
        services.TryAddSingleton<OtaHandler>();
        return services;
    }

    /// <summary>
    /// As <see cref="AddThingsBoardHttpApi(IServiceCollection)"/>, with the options bound from <c>Http:DeviceApi</c> and
    /// <c>Http:Tls</c>; a bad value throws <see cref="InvalidOperationException"/> naming the key (the host's exit 2).
    /// </summary>
    public static IServiceCollection AddThingsBoardHttpApi(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var api = configuration.GetSection(HttpApiOptions.Section).Get<HttpApiOptions>() ?? new HttpApiOptions();
        var tls = configuration.GetSection(HttpTlsOptions.Section).Get<HttpTlsOptions>() ?? new HttpTlsOptions();
        var errors = api.Validate().Concat(tls.Validate()).ToList();
        if (errors.Count > 0) throw new InvalidOperationException(errors[0]);
        services.TryAddSingleton(api);
        services.TryAddSingleton(tls);
        return services.AddThingsBoardHttpApi();
    }

    /// <summary>
    /// Maps <c>/api/v1/…</c> (see the handlers for each route's codes). Unknown paths are 404 and a wrong method 405
    /// (ASP.NET routing, as ThingsBoard's Spring controller). Subscribes to the downlink signal on first call.
    /// </summary>
    public static IEndpointRouteBuilder MapThingsBoardHttpApi(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var services = endpoints.ServiceProvider;
        var device = services.GetRequiredService<DeviceHandlers>();
        var polls = services.GetRequiredService<LongPollHandlers>();
        var ota = services.GetRequiredService<OtaHandler>();

        endpoints.MapPost("/api/v1/provision", device.ProvisionAsync);
        endpoints.MapPost("/api/v1/{token}/telemetry", device.TelemetryAsync);
        endpoints.MapPost("/api/v1/{token}/attributes", device.PostAttributesAsync);
        endpoints.MapGet("/api/v1/{token}/attributes", device.GetAttributesAsync);
        endpoints.MapGet("/api/v1/{token}/attributes/updates", polls.AttributeUpdatesAsync);
        endpoints.MapGet("/api/v1/{token}/rpc", polls.RpcAsync);
        endpoints.MapPost("/api/v1/{token}/rpc", device.ClientRpcAsync);
        endpoints.MapPost("/api/v1/{token}/rpc/{id}", device.RpcReplyAsync);
        endpoints.MapPost("/api/v1/{token}/claim", device.ClaimAsync);
        endpoints.MapGet("/api/v1/{token}/firmware", ota.FirmwareAsync);
        endpoints.MapGet("/api/v1/{token}/software", ota.SoftwareAsync);
        return endpoints;
    }
}
