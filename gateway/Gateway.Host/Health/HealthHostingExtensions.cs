using System.Diagnostics.CodeAnalysis;
using Gateway.Host.Systemd;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Gateway.Host.Configuration;

namespace Gateway.Host.Health;

public static class HealthHostingExtensions
{
    /// <summary>
    /// Liveness probes, the health loop (watchdog, STATUS=, status file), the gateway's health
    /// telemetry and the figures they share. Needs <c>AddGatewayStorage()</c> and <c>AddCoapServer()</c>.
    /// </summary>
    public static IHostApplicationBuilder AddGatewayHealth(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<GatewayOptions>().BindConfiguration(GatewayOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<GatewayOptions>>(new OptionsValidator<GatewayOptions>(o => o.Validate()));
        services.AddSingleton<Uptime>();
        services.AddSingleton<LinkStatus>();
        services.AddSingleton<DeviceCensus>();
        services.AddSingleton<HealthMonitor>();
        services.AddSingleton<GatewayFigures>();
        services.AddSingleton<ServiceStatusBoard>();
        services.AddSingleton<GatewayControl>();
        services.AddSingleton<Gateway.Bridge.Service.IGatewayControl>(sp => sp.GetRequiredService<GatewayControl>());
        services.AddLivenessProbe<StorageLivenessProbe>();
        services.AddHostedService<HealthLoopService>();
        services.AddHostedService<HealthTelemetryService>();
        services.AddHostedService<HeapTrimService>();
        return builder;
    }

    /// <summary>Adds a loop the watchdog and <c>/healthz</c> depend on (see <see cref="ILivenessProbe"/>).</summary>
    public static IServiceCollection AddLivenessProbe<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TProbe>(this IServiceCollection services) where TProbe : class, ILivenessProbe
    {
        services.AddSingleton<TProbe>();
        services.AddSingleton<ILivenessProbe>(sp => sp.GetRequiredService<TProbe>());
        return services;
    }

    /// <summary>Adds a probe built by a factory, e.g. <c>sp => new ProgressProbe("forwarder", () => forwarder.Iterations, TimeSpan.FromSeconds(30), time)</c>.</summary>
    public static IServiceCollection AddLivenessProbe(this IServiceCollection services, Func<IServiceProvider, ILivenessProbe> factory)
    {
        services.AddSingleton(factory);
        return services;
    }
}
