using Gateway.Coap;
using Gateway.Coap.Server;
using Gateway.Coap.Transport;
using Gateway.Coap.Transport.Dtls;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gateway.Host.Coap;

/// <summary>Binds the CoAP socket at start and serves the resource tree until stop.</summary>
public sealed class CoapListenerService(IOptions<CoapListenerOptions> options, IOptions<CoapDtlsOptions> dtlsOptions, CoapResponseCounter handler, TimeProvider time,
    ILoggerFactory loggers, CoapServer server, IEnumerable<ICoapResourceMapping> mappings, IServiceProvider services) : IHostedService
{
    private readonly List<IDisposable> _mapped = [];
    private CoapEndpoint? _endpoint, _dtlsEndpoint;
    private DtlsServerTransport? _dtls;

    /// <summary>The coaps endpoint when <c>Coap:Dtls:Enabled</c>: the same resource tree behind a DTLS transport.</summary>
    public CoapEndpoint? DtlsEndpoint => _dtlsEndpoint;

    public DtlsServerTransport? Dtls => _dtls;

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
        if (dtlsOptions.Value.Enabled) StartDtls(settings, dtlsOptions.Value);
        return Task.CompletedTask;
    }

    private void StartDtls(CoapListenerOptions settings, CoapDtlsOptions dtls)
    {
        DtlsCertificates certificates;
        try
        {
            certificates = DtlsCertificates.Load(dtls.CertificateFile, dtls.KeyFile, dtls.ClientCaFile);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            throw new IOException($"{CoapDtlsOptions.Section}: {e.Message}", e);
        }
        var bind = new System.Net.IPEndPoint(System.Net.IPAddress.Parse(settings.Address), dtls.Port);
        UdpDatagramTransport socket;
        try
        {
            socket = new UdpDatagramTransport(bind);
        }
        catch (System.Net.Sockets.SocketException e)
        {
            throw new IOException($"CoAP over DTLS on UDP {bind}: {e.Message}", e);
        }
        var credentials = new DeviceDtlsCredentials(services.GetRequiredService<Gateway.Storage.Devices.IDeviceStore>());
        _dtls = new DtlsServerTransport(socket, credentials, certificates, dtls.ToTransportOptions(), time, loggers.CreateLogger<DtlsServerTransport>());
        _dtlsEndpoint = new CoapEndpoint(_dtls, handler, settings.ToEndpointOptions(), time, loggers.CreateLogger<CoapEndpoint>());
        _dtlsEndpoint.Start();
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _dtlsEndpoint?.Dispose();
        _endpoint?.Dispose();
        foreach (var mapped in _mapped) mapped.Dispose();
        return Task.CompletedTask;
    }
}
