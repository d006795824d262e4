using Gateway.Coap;
using Gateway.Coap.Server;
using Gateway.Coap.Transport;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gateway.Host.Coap;

/// <summary>Binds the CoAP socket at start and serves the resource tree until stop.</summary>
public sealed class CoapListenerService(IOptions<CoapListenerOptions> options, CoapResponseCounter handler, TimeProvider time, ILoggerFactory loggers,
    CoapServer server, IEnumerable<ICoapResourceMapping> mappings, IServiceProvider services) : IHostedService
{
    private readonly List<IDisposable> _mapped = [];
    private CoapEndpoint? _endpoint;

    public bool IsStarted => _endpoint is not null;

    public CoapEndpoint Endpoint => _endpoint ?? throw new InvalidOperationException("The CoAP listener has not started.");

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        foreach (var mapping in mappings)
        {
            if (mapping.Map(server, services) is { } mapped) _mapped.Add(mapped);
        }
        UdpDatagramTransport transport;
        try
        {
            transport = new UdpDatagramTransport(settings.EndPoint());
        }
        catch (System.Net.Sockets.SocketException e)
        {
            // The host turns this into the one line "cannot listen: …"; name the socket there.
            throw new IOException($"CoAP on UDP {settings.EndPoint()}: {e.Message}", e);
        }
        _endpoint = new CoapEndpoint(transport, handler, settings.ToEndpointOptions(), time, loggers.CreateLogger<CoapEndpoint>());
        _endpoint.Start();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _endpoint?.Dispose();
        foreach (var mapped in _mapped) mapped.Dispose();
        return Task.CompletedTask;
    }
}
