using Microsoft.Extensions.Hosting;

namespace Gateway.Host.Bridge;

/// <summary>Makes the container create a singleton when the host starts (for services nothing else asks for, like a meter).</summary>
public sealed class ResolveAtStart<TService>(TService service) : IHostedService where TService : class
{
    public TService Service { get; } = service;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
