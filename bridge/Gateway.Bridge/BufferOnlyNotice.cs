using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gateway.Bridge;

/// <summary>Registered instead of the bridge when <c>Mqtt:Host</c> is empty: says so once at start, forwards nothing.</summary>
public sealed class BufferOnlyNotice(ILogger<BufferOnlyNotice> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        BridgeLog.BufferOnly(logger);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
