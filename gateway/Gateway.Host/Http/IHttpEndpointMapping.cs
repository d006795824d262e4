using Microsoft.AspNetCore.Routing;

namespace Gateway.Host.Http;

/// <summary>
/// A feature's HTTP routes on the gateway's one Kestrel listener (<c>Http:Address</c>/<c>Http:Port</c>).
/// Register with <see cref="HttpHostingExtensions.AddHttpEndpoints"/>; every mapping is applied
/// once, after the host is built and before it starts. The ThingsBoard HTTP device API plugs in
/// here: <c>builder.Services.AddHttpEndpoints(endpoints => endpoints.MapThingsBoardHttp())</c>.
/// </summary>
public interface IHttpEndpointMapping
{
    void Map(IEndpointRouteBuilder endpoints);
}
