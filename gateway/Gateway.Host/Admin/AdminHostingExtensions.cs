using System.Globalization;
using System.Net;
using Gateway.Host.Configuration;
using Gateway.Host.Http;
using Gateway.Storage.Outbox;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gateway.Host.Admin;

public static class AdminHostingExtensions
{
    /// <summary>
    /// The operator's status page on its own Kestrel listener (<c>Admin:Port</c>, loopback unless
    /// <c>Admin:Bind</c> widens it). With <c>Admin:Enabled=false</c> nothing is composed: no listener,
    /// no sampler, no outbox wrapper, the page never read. Needs <c>AddGatewayStorage()</c>,
    /// <c>AddBridge()</c> and <c>AddGatewayHealth()</c> before it.
    /// </summary>
    public static WebApplicationBuilder AddGatewayAdmin(this WebApplicationBuilder builder)
    {
        if (!AdminOptions.EnabledIn(builder.Configuration)) return builder;
        var services = builder.Services;
        var httpPort = int.TryParse(builder.Configuration[$"{HttpOptions.Section}:Port"], NumberStyles.Integer, CultureInfo.InvariantCulture, out var port) ? port : new HttpOptions().Port;
        services.AddOptions<AdminOptions>().BindConfiguration(AdminOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<AdminOptions>>(new OptionsValidator<AdminOptions>(o => o.Validate(httpPort)));
        services.AddSingleton(sp => Bind(sp.GetRequiredService<IOptions<AdminOptions>>().Value));
        services.AddSingleton(sp => new StatusHistory(sp.GetRequiredService<TimeProvider>(), TimeSpan.FromSeconds(sp.GetRequiredService<IOptions<AdminOptions>>().Value.SampleSeconds)));
        services.AddSingleton<DeviceActivity>();
        var outbox = services.Last(d => d.ServiceType == typeof(IOutbox));
        services.Remove(outbox);
        services.AddSingleton<IOutbox>(sp => new CountingOutbox(Inner(outbox, sp), sp.GetRequiredService<DeviceActivity>()));
        services.AddHostedService<StatusHistorySampler>();
        services.AddSingleton(sp => Authentication(sp.GetRequiredService<IOptions<AdminOptions>>().Value));
        services.AddSingleton<AdminStatusDocument>();
        services.AddSingleton(sp => new AdminSite(sp.GetRequiredService<AdminStatusDocument>(), sp.GetRequiredService<AdminAuthentication>().Basic,
            new AuthenticationThrottle(sp.GetRequiredService<TimeProvider>())));
        services.AddSingleton<Microsoft.AspNetCore.Hosting.IStartupFilter, AdminStartupFilter>();

        builder.WebHost.ConfigureKestrel((context, kestrel) =>
        {
            var admin = kestrel.ApplicationServices.GetRequiredService<IOptions<AdminOptions>>().Value;
            var bind = kestrel.ApplicationServices.GetRequiredService<AdminBind>();
            // ListenLocalhost binds 127.0.0.1 and ::1, and carries on when the host has no IPv6.
            if (bind.Addresses.Count == 0) kestrel.ListenLocalhost(admin.Port);
            else foreach (var address in bind.Addresses) kestrel.Listen(address, admin.Port);
        });
        return builder;
    }

    private static AdminBind Bind(AdminOptions options) =>
        AdminBind.TryParse(options.Bind, out var bind, out var error) ? bind : throw new OptionsValidationException(AdminOptions.Section, typeof(AdminOptions), [$"{AdminOptions.Section}:Bind: {error}"]);

    private static AdminAuthentication Authentication(AdminOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.CredentialFile)) return new AdminAuthentication(null);
        if (!AdminCredentials.TryLoad(options.CredentialFile, out var credentials, out var problem))
            throw new OptionsValidationException(AdminOptions.Section, typeof(AdminOptions), [$"{AdminOptions.Section}:CredentialFile: {problem}"]);
        return new AdminAuthentication(new BasicAuthentication(credentials));
    }

    private static IOutbox Inner(ServiceDescriptor registration, IServiceProvider services) =>
        (IOutbox)(registration.ImplementationFactory?.Invoke(services) ?? registration.ImplementationInstance
            ?? throw new InvalidOperationException("the outbox is registered by type; the admin page needs a factory or an instance to wrap"));

    /// <summary>Requests on the admin port go to <see cref="AdminSite"/> before routing: the device API and /metrics never answer there, and the page never on Http:Port.</summary>
    private sealed class AdminStartupFilter(IOptions<AdminOptions> options, AdminSite site, AdminBind bind, AdminAuthentication authentication, ILoggerFactory loggers,
        Microsoft.Extensions.Hosting.IHostApplicationLifetime lifetime) : Microsoft.AspNetCore.Hosting.IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            var port = options.Value.Port;
            app.MapWhen(context => context.Connection.LocalPort == port, admin => admin.Run(site.HandleAsync));
            var logger = loggers.CreateLogger("Gateway.Host.Admin");
            lifetime.ApplicationStarted.Register(() => Log.AdminListening(logger,
                bind.Addresses.Count == 0 ? $"localhost:{port}" : string.Join(", ", bind.Addresses.Select(a => new IPEndPoint(a, port).ToString())),
                authentication.Basic is null ? "off" : "on"));
            next(app);
        };
    }
}
