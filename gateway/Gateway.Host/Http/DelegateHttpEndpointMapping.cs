using Microsoft.AspNetCore.Routing;

namespace Gateway.Host.Http;

/// <summary>An <see cref="IHttpEndpointMapping"/> from a delegate.</summary>
public sealed class DelegateHttpEndpointMapping(Action<IEndpointRouteBuilder> map) : IHttpEndpointMapping
{
    public void Map(IEndpointRouteBuilder endpoints) => map(endpoints);
}
