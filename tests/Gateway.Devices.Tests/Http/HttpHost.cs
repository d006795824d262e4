using System.Net;
using Gateway.Devices.Http;
using Gateway.Devices.ThingsBoard;
using Gateway.Domain;
using Gateway.Storage.Attributes;
using Gateway.Storage.Content;
using Gateway.Storage.Devices;
using Gateway.Storage.Downlinks;
using Gateway.Storage.Outbox;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gateway.Devices.Tests.Http;

/// <summary>
/// The HTTP device API on a real Kestrel listener on a free loopback port, over the same services (same SQLite
/// file, same signal, same manual clock) as the test's <see cref="Support.Gateway"/> and its CoAP resources.
/// </summary>
public sealed class HttpHost : IAsyncDisposable
{
    private static readonly Type[] Shared =
    [
        typeof(DeviceApi), typeof(ProvisioningService), typeof(OtaService), typeof(DeviceAuthenticator), typeof(AuthFailureLimiter),
        typeof(RpcExpiryReporter), typeof(global::Gateway.Devices.Refusals.RefusalLog), typeof(DeviceApiOptions), typeof(ProvisioningOptions), typeof(IDownlinkSignal), typeof(ICloudLink),
        typeof(TimeProvider), typeof(IOutbox), typeof(IDeviceStore), typeof(IAttributeStore), typeof(IDownlinkQueue), typeof(IContentStore),
    ];

    private readonly WebApplication _app;

    private HttpHost(WebApplication app, Uri http, Uri? https)
    {
        _app = app;
        BaseAddress = http;
        HttpsAddress = https;
        Client = new HttpClient { BaseAddress = http, Timeout = TimeSpan.FromSeconds(30) };
    }

    public Uri BaseAddress { get; }
    public Uri? HttpsAddress { get; }
    public HttpClient Client { get; }
    public IServiceProvider Services => _app.Services;
    internal DownlinkWaiter Waiter => _app.Services.GetRequiredService<DownlinkWaiter>();
    internal LongPollLimiter Limiter => _app.Services.GetRequiredService<LongPollLimiter>();

    public static async Task<HttpHost> StartAsync(Support.Gateway gateway, Action<HttpApiOptions>? configure = null, HttpTlsOptions? tls = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        // ASP.NET Core logs request paths (tokens, thingsboard.md §3) at Information: a host keeps "Microsoft" at Warning.
        builder.Logging.ClearProviders().AddProvider(gateway.Logs).SetMinimumLevel(LogLevel.Trace).AddFilter("Microsoft", LogLevel.Warning);
        foreach (var type in Shared) builder.Services.AddSingleton(type, gateway.Services.GetRequiredService(type));
        var options = new HttpApiOptions();
        configure?.Invoke(options);
        builder.Services.AddSingleton(options);
        builder.Services.AddThingsBoardHttpApi();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, 0);
            if (tls is not null) kestrel.ListenThingsBoardHttps(tls, IPAddress.Loopback);
        });
        var app = builder.Build();
        app.MapThingsBoardHttpApi();
        await app.StartAsync();
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Select(a => new Uri(a)).ToList();
        return new HttpHost(app, addresses.First(a => a.Scheme == "http"), addresses.FirstOrDefault(a => a.Scheme == "https"));
    }

    /// <summary>Waits until <paramref name="count"/> long polls are parked in the waiter (so a change raised now reaches them).</summary>
    public async Task WaitForPollsAsync(int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        // At least `count` polls; for 0, until the server noticed every hang-up (a cancelled client is not yet a gone poll).
        while (count == 0 ? Waiter.Waiting > 0 : Waiter.Waiting < count)
        {
            Assert.True(DateTime.UtcNow < deadline, $"{Waiter.Waiting} long polls waiting, expected {(count == 0 ? "none" : $"at least {count}")}");
            await Task.Delay(10);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
