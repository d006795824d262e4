using Gateway.Coap.Server;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Gateway.Host.Coap;

public static class CoapHostingExtensions
{
    /// <summary>The CoAP listener and its resource tree; features add resources to the <see cref="CoapServer"/>.</summary>
    public static IHostApplicationBuilder AddCoapServer(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<CoapListenerOptions>().BindConfiguration(CoapListenerOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<CoapListenerOptions>, CoapListenerOptionsValidator>();
        builder.Services.AddSingleton<CoapServer>();
        builder.Services.AddSingleton<CoapListenerService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<CoapListenerService>());
        return builder;
    }

    private sealed class CoapListenerOptionsValidator : IValidateOptions<CoapListenerOptions>
    {
        public ValidateOptionsResult Validate(string? name, CoapListenerOptions options)
        {
            var problems = options.Validate().ToList();
            return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
        }
    }
}
