using System.Net;
using Gateway.Host.Configuration;
using Gateway.Host.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gateway.Host.Http;

public static class HttpHostingExtensions
{
    /// <summary>
    /// Kestrel on <c>Http:Address</c>:<c>Http:Port</c> (nothing at all when the port is 0) with
    /// <c>/healthz</c> and <c>/metrics</c>, and the metrics instruments. Kestrel starts after the
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
        services.AddRouting();
        services.AddSingleton<IHttpEndpointMapping, ObservabilityEndpoints>();

        // Decided while composing (the server is a service); a malformed value is reported by the options validation.
        // The admin page (AddGatewayAdmin) listens on the same Kestrel, so Kestrel stays when only it is on.
        if (builder.Configuration[$"{HttpOptions.Section}:Port"]?.Trim() == "0" && !Admin.AdminOptions.EnabledIn(builder.Configuration))
        {
            services.AddSingleton<IServer, NoHttpServer>();
        }
        builder.WebHost.ConfigureKestrel((context, kestrel) =>
        {
            var http = kestrel.ApplicationServices.GetRequiredService<IOptions<HttpOptions>>().Value;
            if (http.Enabled) kestrel.Listen(IPAddress.Parse(http.Address), http.Port);
        });
        return builder;
    }

    /// <summary>Adds routes to the gateway's HTTP listener (see <see cref="IHttpEndpointMapping"/>).</summary>
    public static IServiceCollection AddHttpEndpoints(this IServiceCollection services, Action<IEndpointRouteBuilder> map)
    {
        services.AddSingleton<IHttpEndpointMapping>(new DelegateHttpEndpointMapping(map));
        return services;
    }

    /// <summary>Applies every registered <see cref="IHttpEndpointMapping"/>; called once by the composition after Build.</summary>
    public static WebApplication MapGatewayHttpEndpoints(this WebApplication app)
    {
        foreach (var mapping in app.Services.GetServices<IHttpEndpointMapping>()) mapping.Map(app);
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
