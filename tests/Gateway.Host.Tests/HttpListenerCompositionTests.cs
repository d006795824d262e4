using Gateway.Host.Http;
using Gateway.Host.Tests.Support;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Gateway.Host.Tests;

/// <summary>Issue 21: ASP.NET Core's server (Kestrel) and routing are composed only when an HTTP listener is configured.</summary>
public sealed class HttpListenerCompositionTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData(null, null, true)]      // the default Http:Port is 8080
    [InlineData("0", null, false)]
    [InlineData(" 0 ", null, false)]
    [InlineData("0", "0", false)]
    [InlineData("0", "8443", true)]     // HTTPS alone still needs Kestrel
    [InlineData("8080", null, true)]
    [InlineData("eighty", null, true)]  // not a number: composed, so the options validation names the key
    public void AnyListenerConfigured_FollowsHttpAndHttpsPorts(string? port, string? tlsPort, bool expected)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Http:Port"] = port,
            ["Http:Tls:Port"] = tlsPort,
        }.Where(p => p.Value is not null)).Build();

        Assert.Equal(expected, HttpHostingExtensions.AnyListenerConfigured(configuration));
    }

    [Fact]
    public async Task HttpOff_RunsWithoutKestrel()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Storage:DataDir"] = _dir.Combine("data"),
            ["Coap:Port"] = "0",
            ["Coap:Address"] = "::1",
            ["Http:Port"] = "0",
            // The admin page listens on Kestrel too; with it on, Kestrel stays.
            ["Admin:Enabled"] = "false",
        }).Build();
        IServiceCollection? services = null;
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        var exitCode = await GatewayApplication.RunAsync(configuration, builder =>
        {
            services = builder.Services;
            builder.Services.AddHostedService<StopWhenStarted>();
        }, limit.Token);

        Assert.Equal(0, exitCode);
        Assert.False(limit.IsCancellationRequested, "the gateway did not stop after starting");
        Assert.Equal(typeof(NoHttpServer), Assert.Single(services!, d => d.ServiceType == typeof(IServer)).ImplementationType);
        // Option configurators for Kestrel may be registered (ConfigureKestrel); nothing that would run: no transport, no routing.
        Assert.DoesNotContain(services!, d => d.ServiceType == typeof(IConnectionListenerFactory));
        Assert.DoesNotContain(services!, d => d.ServiceType.Namespace?.StartsWith("Microsoft.AspNetCore.Routing", StringComparison.Ordinal) == true);
    }

    private sealed class StopWhenStarted(IHostApplicationLifetime lifetime) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            lifetime.ApplicationStarted.Register(lifetime.StopApplication);
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
