using Gateway.Coap.Server;

namespace Gateway.Host.Coap;

/// <summary>
/// A feature's CoAP resources, added to the resource tree by the listener just before it binds the
/// socket (so no request can arrive before the tree is complete). What it returns is disposed at stop.
/// </summary>
public interface ICoapResourceMapping
{
    IDisposable? Map(CoapServer server, IServiceProvider services);
}
