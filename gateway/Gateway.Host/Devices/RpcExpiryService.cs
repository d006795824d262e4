using Gateway.Devices.ThingsBoard;
using Microsoft.Extensions.Hosting;

namespace Gateway.Host.Devices;

/// <summary>Runs the RPC expiry sweep for the life of the service.</summary>
internal sealed class RpcExpiryService(RpcExpiryReporter reporter) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => reporter.RunAsync(stoppingToken);
}
