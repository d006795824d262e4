using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace Gateway.Host.Systemd;

public static class SystemdHostingExtensions
{
    /// <summary>
    /// systemd integration through Microsoft.Extensions.Hosting.Systemd: <c>Type=notify</c>
    /// readiness (READY=1 once every hosted service has started) and STOPPING=1 from its
    /// <see cref="SystemdLifetime"/>, which also turns SIGTERM into a graceful stop, and log lines
    /// in the journal's format (<c>&lt;priority&gt;</c> prefix, no timestamp: journald adds its
    /// own). Outside systemd the console gets one line per entry with a timestamp, and nothing is
    /// sent. The watchdog and STATUS= lines come from the health loop through the same
    /// <see cref="ISystemdNotifier"/>.
    /// </summary>
    public static IHostApplicationBuilder AddSystemd(this IHostApplicationBuilder builder)
    {
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "yyyy-MM-dd HH:mm:ss ";
            o.UseUtcTimestamp = false;
        });
        // A standard output that stalls (journald under pressure, a pipe nobody drains) must not stall the threads that
        // log, among them the ones answering devices: once the console's queue (2,500 lines) is full, lines are dropped
        // and the console says how many, instead of each logging call blocking until there is room.
        builder.Services.Configure<ConsoleLoggerOptions>(o => o.QueueFullMode = ConsoleLoggerQueueFullMode.DropWrite);
        // Switches the console to the journal's format and the lifetime to SystemdLifetime, but only when
        // systemd is our parent (the library's own check).
        builder.Services.AddSystemd();
        // A notify socket without a systemd parent (systemd-notify --fork, a supervisor speaking sd_notify,
        // the tests' fake manager) gets the same READY=1 / STOPPING=1.
        if (!SystemdHelpers.IsSystemdService() && !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NOTIFY_SOCKET")))
        {
            builder.Services.AddSingleton<ISystemdNotifier, SystemdNotifier>();
            builder.Services.AddSingleton<IHostLifetime, SystemdLifetime>();
        }
        // Without NOTIFY_SOCKET the library's notifier is a no-op (IsEnabled false).
        builder.Services.TryAddSingleton<ISystemdNotifier, SystemdNotifier>();
        builder.Services.TryAddSingleton(new SystemdWatchdog(Environment.GetEnvironmentVariable));
        // Request-level ASP.NET Core lines would drown the gateway's own; warnings still show.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        return builder;
    }
}
