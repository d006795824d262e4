using Gateway.Domain;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Host.Health;

/// <summary>
/// Reads the cloud link state for <c>/healthz</c>, <c>/metrics</c>, STATUS= and the status file from
/// the <see cref="ICloudLink"/> the bridge registers (<c>IsConnected</c>). With no bridge
/// registered, or <c>Mqtt:Host</c> empty, the link is <see cref="LinkState.Disabled"/>.
/// </summary>
public sealed class LinkStatus(IServiceProvider services, IConfiguration configuration)
{
    private readonly ICloudLink? _link = services.GetService<ICloudLink>();

    public LinkState State =>
        _link is null || string.IsNullOrWhiteSpace(configuration["Mqtt:Host"]) ? LinkState.Disabled
        : _link.IsConnected ? LinkState.Up
        : LinkState.Down;

    /// <summary>The configured broker ("host:port"), or null when disabled.</summary>
    public string? Broker => string.IsNullOrWhiteSpace(configuration["Mqtt:Host"]) ? null : $"{configuration["Mqtt:Host"]}:{configuration["Mqtt:Port"] ?? "1883"}";

    public static string Describe(LinkState state) => state switch
    {
        LinkState.Up => "up",
        LinkState.Down => "down",
        _ => "disabled",
    };
}
