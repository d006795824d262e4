using Gateway.Coap.Server;

namespace Gateway.Host.Coap;

internal sealed class DelegateCoapResourceMapping(Func<CoapServer, IServiceProvider, IDisposable?> map) : ICoapResourceMapping
{
    public IDisposable? Map(CoapServer server, IServiceProvider services) => map(server, services);
}
