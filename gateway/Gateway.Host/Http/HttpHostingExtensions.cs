using System.Net;
using Gateway.Devices.Http;
using Gateway.Host.Configuration;
using Gateway.Host.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gateway.Host.Http;

public static class HttpHostingExtensions
{
    /// <summary>
    /// Kestrel on <c>Http:Address</c>:<c>Http:Port</c> with <c>/healthz</c>, <c>/metrics</c> and the device API,
    /// and the metrics instruments. Kestrel and routing are registered only when
    /// <see cref="AnyListenerConfigured"/>; otherwise a stand-in server binds nothing. Kestrel starts after the
    /// hosted services registered before it (storage, CoAP), so READY=1 also means HTTP is bound.
    /// </summary>
    public static WebApplicationBuilder AddGatewayHttp(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<HttpOptions>().BindConfiguration(HttpOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<HttpOptions>>(new OptionsValidator<HttpOptions>(o => o.Validate()));
        services.AddMetrics();
        services.AddSingleton<GatewayMetrics>();
        services.AddHostedService(sp => sp.GetRequiredService<GatewayMetrics>());
        services.AddSingleton<PrometheusExporter>();
        services.AddSingleton<IHttpEndpointMapping, ObservabilityEndpoints>();

        // Decided while composing (the server is a service); a malformed port is reported by the options validation.
        // The admin page (AddGatewayAdmin) listens on the same Kestrel, so Kestrel stays when only it is on.
        if (!AnyListenerConfigured(builder.Configuration) && !Admin.AdminOptions.EnabledIn(builder.Configuration))
        {
            services.AddSingleton<IServer, NoHttpServer>();
            return builder;
        }
        builder.WebHost.UseKestrelCore();
        services.AddRouting();
        builder.WebHost.ConfigureKestrel((context, kestrel) =>
        {
            var http = kestrel.ApplicationServices.GetRequiredService<IOptions<HttpOptions>>().Value;
            if (http.Enabled) kestrel.Listen(IPAddress.Parse(http.Address), http.Port);
        });
        return builder;
    }

    /// <summary>
    /// Whether any HTTP listener is configured (<c>Http:Port</c>, default 8080, or <c>Http:Tls:Port</c> not 0). A value
    /// that is not a number counts as configured, so the options validation names it.
    /// </summary>
    public static bool AnyListenerConfigured(IConfiguration configuration) =>
        PortConfigured(configuration, $"{HttpOptions.Section}:Port", new HttpOptions().Port)
        || PortConfigured(configuration, $"{HttpTlsOptions.Section}:Port", 0);

    private static bool PortConfigured(IConfiguration configuration, string key, int defaultPort) =>
        configuration[key] is { } text ? text.Trim() != "0" : defaultPort != 0;

    /// <summary>Adds routes to the gateway's HTTP listener (see <see cref="IHttpEndpointMapping"/>).</summary>
    public static IServiceCollection AddHttpEndpoints(this IServiceCollection services, Action<IEndpointRouteBuilder> map)
    {
        services.AddSingleton<IHttpEndpointMapping>(new DelegateHttpEndpointMapping(map));
        return services;
    }

    /// <summary>Applies every registered <see cref="IHttpEndpointMapping"/>; called once by the composition after Build.</summary>
    public static WebApplication MapGatewayHttpEndpoints(this WebApplication app)
    {
        // Without a listener there is no routing to map into (and nothing would reach the routes).
        if (AnyListenerConfigured(app.Configuration))
        {
            foreach (var mapping in app.Services.GetServices<IHttpEndpointMapping>()) mapping.Map(app);
        }
        var http = app.Services.GetRequiredService<IOptions<HttpOptions>>().Value;
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Gateway.Host.Http");
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            if (http.Enabled) Log.HttpListening(logger, new IPEndPoint(IPAddress.Parse(http.Address), http.Port).ToString());
            else Log.HttpOff(logger);
        });
        return app;
    }
}
