using Gateway.Host.Coap;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Gateway.Host;

/// <summary>
/// Composition of the service: one <c>Add…</c> per feature. Exit codes: 0 clean stop, 2 bad
/// arguments or configuration (one line naming the key), 1 runtime failure.
/// </summary>
public static class GatewayApplication
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length > 0 && args[0] == "run") args = args[1..];
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            Args = args,
            // Under systemd the working directory is "/": never resolve anything against it.
            ContentRootPath = AppContext.BaseDirectory,
            ApplicationName = "coap-gateway",
        });
        builder.Configuration.AddEnvironmentVariables("COAPGW_");
        builder.Configuration.AddCommandLine(args);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(10));
        builder.AddCoapServer();

        try
        {
            using var host = builder.Build();
            // Validate every option before anything listens, so a bad value is one line, not a host crash log.
            host.Services.GetService<IStartupValidator>()?.Validate();
            await host.RunAsync().ConfigureAwait(false);
            return 0;
        }
        catch (OptionsValidationException e)
        {
            foreach (var failure in e.Failures) await Console.Error.WriteLineAsync($"coap-gateway: {failure}").ConfigureAwait(false);
            return 2;
        }
        catch (InvalidDataException e) when (e.Source == "Microsoft.Extensions.Configuration.Json" || e.InnerException is System.Text.Json.JsonException)
        {
            await Console.Error.WriteLineAsync($"coap-gateway: {e.Message}").ConfigureAwait(false);
            return 2;
        }
        catch (System.Net.Sockets.SocketException e)
        {
            await Console.Error.WriteLineAsync($"coap-gateway: cannot listen: {e.Message}").ConfigureAwait(false);
            return 1;
        }
    }
}
