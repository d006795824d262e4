using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gateway.Host.Systemd;

public static class SystemdHostingExtensions
{
    /// <summary>
    /// <c>Type=notify</c> readiness and STOPPING=1 (the watchdog and STATUS= come from the health
    /// loop), and log lines for the journal: under systemd one line per entry with a
    /// <c>&lt;priority&gt;</c> prefix and no timestamp (journald adds its own), otherwise one line
    /// with a timestamp for a terminal. The default console lifetime already turns SIGTERM into a
    /// graceful stop.
    /// </summary>
    public static IHostApplicationBuilder AddSystemd(this IHostApplicationBuilder builder)
    {
        builder.Services.TryAddSingleton<SystemdNotifier>();
        builder.Services.AddHostedService<SystemdNotifyService>();
        builder.Logging.ClearProviders();
        if (SystemdDetection.IsSystemdService())
        {
            builder.Logging.AddSystemdConsole();
        }
        else
        {
            builder.Logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "yyyy-MM-dd HH:mm:ss ";
                o.UseUtcTimestamp = false;
            });
        }
        // Request-level ASP.NET Core lines would drown the gateway's own; warnings still show.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        return builder;
    }
}
