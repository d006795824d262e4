using Microsoft.Extensions.Hosting;

namespace Gateway.Host.Systemd;

/// <summary>
/// READY=1 when the host has started (every hosted service's StartAsync returned: storage open and
/// migrated, CoAP socket bound, HTTP bound), STOPPING=1 when shutdown begins. Registered first so
/// its StopAsync runs last.
/// </summary>
public sealed class SystemdNotifyService(SystemdNotifier notifier, IHostApplicationLifetime lifetime) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStarted.Register(() => notifier.Notify($"READY=1\nSTATUS=running\nMAINPID={Environment.ProcessId}"));
        lifetime.ApplicationStopping.Register(() => notifier.Notify("STOPPING=1\nSTATUS=stopping"));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
