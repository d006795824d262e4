using Gateway.Coap.Server;
using Gateway.Host.Configuration;
using Gateway.Host.Health;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Gateway.Host.Coap;

public static class CoapHostingExtensions
{
    /// <summary>The CoAP listener and its resource tree; features add resources to the <see cref="CoapServer"/>.</summary>
    public static IHostApplicationBuilder AddCoapServer(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<CoapListenerOptions>().BindConfiguration(CoapListenerOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<CoapListenerOptions>>(new OptionsValidator<CoapListenerOptions>(o => o.Validate()));
        builder.Services.AddOptions<CoapDtlsOptions>().BindConfiguration(CoapDtlsOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<CoapDtlsOptions>>(new OptionsValidator<CoapDtlsOptions>(o => o.Validate()));
        builder.Services.AddOptions<CoapMulticastOptions>().BindConfiguration(CoapMulticastOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<CoapMulticastOptions>>(new OptionsValidator<CoapMulticastOptions>(o => o.Validate()));
        builder.Services.AddLivenessProbe<CoapLivenessProbe>();
        builder.Services.AddSingleton<CoapServer>();
        builder.Services.AddSingleton<CoapListenerService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<CoapListenerService>());
        return builder;
    }

    /// <summary>
    /// Observe relations kept in storage across restarts (<see cref="ObservationPersistence"/>). Call after
    /// <see cref="AddCoapServer"/> and the features: hosted services start in order, and the resources
    /// must be in the tree before relations are restored to them.
    /// </summary>
    public static IHostApplicationBuilder AddObservationPersistence(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ObservationPersistence>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ObservationPersistence>());
        return builder;
    }

    /// <summary>Adds a feature's resources to the tree before the socket is bound (see <see cref="ICoapResourceMapping"/>).</summary>
    public static IServiceCollection AddCoapResources(this IServiceCollection services, Func<CoapServer, IServiceProvider, IDisposable?> map) =>
        services.AddSingleton<ICoapResourceMapping>(new DelegateCoapResourceMapping(map));
}
