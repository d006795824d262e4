using Gateway.Host.Admin;
using Gateway.Host.Bridge;
using Gateway.Host.Coap;
using Gateway.Host.Devices;
using Gateway.Host.Configuration;
using Gateway.Host.Health;
using Gateway.Host.Http;
using Gateway.Host.Storage;
using Gateway.Host.Systemd;
using Gateway.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gateway.Host;

/// <summary>
/// Composition of the service (<c>coap-gateway run</c>): one <c>Add…</c> per feature. Exit codes:
/// 0 clean stop, 2 bad configuration (one line per problem, naming the key, before anything
/// listens), 1 runtime failure (cannot listen, damaged database, a background service crashed).
/// </summary>
public static class GatewayApplication
{
    /// <summary>Builds, validates and runs the service until SIGTERM/SIGINT; returns the exit code.</summary>
    /// <param name="configuration">From <see cref="GatewayConfiguration.Build"/>.</param>
    /// <param name="configure">Extra composition (tests add a failing service here).</param>
    public static async Task<int> RunAsync(IConfiguration configuration, Action<WebApplicationBuilder>? configure = null, CancellationToken cancellationToken = default)
    {
        // The empty builder: Kestrel and routing are added by AddGatewayHttp only when a listener is configured,
        // so a gateway without HTTP runs none of ASP.NET Core's server code (issue 21: footprint).
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions
        {
            // Under systemd the working directory is "/": never resolve anything against it.
            ContentRootPath = AppContext.BaseDirectory,
            ApplicationName = "coap-gateway",
        });
        // Exactly the gateway's sources (file, conf.d, COAPGW_ env, command line); the empty builder adds none of its own.
        builder.Configuration.AddConfiguration(configuration);
        builder.Logging.AddConfiguration(builder.Configuration.GetSection("Logging"));
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.Configure<HostOptions>(o =>
        {
            // Below the unit's TimeoutStopSec, so in-flight commits finish before systemd's SIGKILL.
            o.ShutdownTimeout = TimeSpan.FromSeconds(10);
            o.BackgroundServiceExceptionBehavior = BackgroundServiceExceptionBehavior.StopHost;
        });

        // The generic host logs a failed start and a crashed BackgroundService with whole stack traces
        // (and a misleading StopHost notice); this class reports both itself, in one line or one entry.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.None);
        builder.AddSystemd();
        builder.AddGatewayStorage();
        builder.AddCoapServer();
        builder.AddBridge();
        builder.AddDevices();
        builder.AddGatewayHealth();
        builder.AddGatewayHttp();
        builder.AddGatewayAdmin();
        builder.AddObservationPersistence();
        configure?.Invoke(builder);

        WebApplication app;
        try
        {
            app = builder.Build();
        }
        catch (Exception e) when (StartupProblems.Describe(e) is { Count: > 0 } problems)
        {
            return await FailAsync(problems, 2).ConfigureAwait(false);
        }
        await using (app.ConfigureAwait(false))
        {
            var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Gateway.Host");
            try
            {
                // Every option is checked before anything opens or listens, so a bad value is one line, not a crash log.
                app.Services.GetService<IStartupValidator>()?.Validate();
            }
            catch (Exception e) when (StartupProblems.Describe(e) is { Count: > 0 } problems)
            {
                return await FailAsync(problems, 2).ConfigureAwait(false);
            }

            DataDirectoryLock dataLock;
            try
            {
                dataLock = DataDirectoryLock.Acquire(app.Services.GetRequiredService<IOptions<StorageOptions>>().Value.DataDir);
            }
            catch (Exception e) when (e is DataDirectoryInUseException or IOException or UnauthorizedAccessException)
            {
                return await FailAsync([e.Message.ReplaceLineEndings(" ")], 1).ConfigureAwait(false);
            }
            using var _ = dataLock;

            try
            {
                app.MapGatewayHttpEndpoints();
                await app.StartAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (StartupProblems.Describe(e) is { Count: > 0 } problems)
            {
                await StopStartedAsync(app).ConfigureAwait(false);
                return await FailAsync(problems, 2).ConfigureAwait(false);
            }
            catch (Exception e) when (CannotListen(e))
            {
                await StopStartedAsync(app).ConfigureAwait(false);
                return await FailAsync([$"cannot listen: {e.Message.ReplaceLineEndings(" ")}"], 1).ConfigureAwait(false);
            }
            catch (StorageCorruptException e)
            {
                await StopStartedAsync(app).ConfigureAwait(false);
                return await FailAsync([e.Message], 1).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Log.StartFailed(logger, e);
                await StopStartedAsync(app).ConfigureAwait(false);
                return await FailAsync([$"cannot start: {e.GetType().Name}: {e.Message.ReplaceLineEndings(" ")}"], 1).ConfigureAwait(false);
            }

            Log.Started(logger, typeof(GatewayApplication).Assembly.GetName().Version?.ToString(3) ?? "0.0.0", Environment.ProcessId,
                app.Services.GetRequiredService<IOptions<StorageOptions>>().Value.DataDir);
            // Starting allocates a few MiB that are garbage once READY=1 is sent (configuration, options, DI, the
            // request pipeline), and an idle gateway may not allocate enough for a collection for hours (issue 21: idle RSS).
            HeapTrimService.Trim();
            StartupPages.Release();
            // Returns after the host stopped (SIGTERM, SIGINT, or a crashed BackgroundService stopping it).
            await app.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);

            // The host stops, but exits 0, when a BackgroundService throws (dotnet/runtime#67146): systemd's
            // Restart=on-failure would then not restart us. A crashed service is a failure of the process.
            var crashed = app.Services.GetServices<IHostedService>().OfType<BackgroundService>()
                .FirstOrDefault(s => s.ExecuteTask is { IsFaulted: true });
            if (crashed is not null)
            {
                var failure = crashed.ExecuteTask!.Exception!.GetBaseException();
                // A damaged outbox found after READY (its rows are counted then) gets the same one line as one found before.
                if (failure is StorageCorruptException corrupt) return await FailAsync([corrupt.Message], 1).ConfigureAwait(false);
                Log.BackgroundServiceFailed(logger, crashed.GetType().Name, failure);
                return 1;
            }
            // gateway_restart (a service RPC): a non-zero exit, so systemd's Restart=on-failure starts us again.
            if (app.Services.GetRequiredService<GatewayControl>().RestartRequested)
            {
                Log.RestartRequested(logger, GatewayControl.RestartExitCode);
                return GatewayControl.RestartExitCode;
            }
            return 0;
        }
    }

    // The services that did start (storage, maintenance) are stopped the ordinary way; disposing them
    // unstopped makes the host report their cancelled loops as crashes.
    private static async Task StopStartedAsync(WebApplication app)
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await app.StopAsync(limit.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or AggregateException or InvalidOperationException or ArgumentNullException)
        {
            // Best effort: the exit code and the one line already say what failed. (The host throws ArgumentNullException
            // when its start failed while creating the hosted services: nothing was started, so nothing is left to stop.)
        }
    }

    private static bool CannotListen(Exception e) =>
        e is System.Net.Sockets.SocketException
        || (e is IOException && e.InnerException is System.Net.Sockets.SocketException or Microsoft.AspNetCore.Connections.AddressInUseException);

    private static async Task<int> FailAsync(IEnumerable<string> lines, int code)
    {
        foreach (var line in lines) await Console.Error.WriteLineAsync($"coap-gateway: {line}").ConfigureAwait(false);
        return code;
    }
}
