using Gateway.Coap;
using Gateway.Coap.Messages;
using Gateway.Coap.Multicast;
using Gateway.Coap.Server;
using Gateway.Coap.Transport;
using Gateway.Coap.Transport.Dtls;
using Gateway.Storage.Outbox;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gateway.Host.Coap;

/// <summary>Binds the CoAP socket at start and serves the resource tree until stop.</summary>
public sealed class CoapListenerService(IOptions<CoapListenerOptions> options, IOptions<CoapDtlsOptions> dtlsOptions, IOptions<CoapMulticastOptions> multicastOptions,
    TimeProvider time, ILoggerFactory loggers, CoapServer server, IEnumerable<ICoapResourceMapping> mappings, IServiceProvider services) : IHostedService
{
    private readonly List<IDisposable> _mapped = [];
    private CoapEndpoint? _endpoint, _dtlsEndpoint;
    private DtlsServerTransport? _dtls;
    private MulticastListener? _multicast;

    /// <summary>The All-CoAP-Nodes side when <c>Coap:Multicast:Enabled</c> (its groups may be none).</summary>
    public MulticastListener? Multicast => _multicast;

    public MulticastResponder? MulticastResponder { get; private set; }

    /// <summary>The coaps endpoint when <c>Coap:Dtls:Enabled</c>: the same resource tree behind a DTLS transport.</summary>
    public CoapEndpoint? DtlsEndpoint => _dtlsEndpoint;

    public DtlsServerTransport? Dtls => _dtls;

    public bool IsStarted => _endpoint is not null;

    public CoapEndpoint Endpoint => _endpoint ?? throw new InvalidOperationException("The CoAP listener has not started.");

    /// <summary>Responses of the resource tree by code, as ("2.05", count), over CoAP and CoAP over DTLS; only codes seen.</summary>
    public IEnumerable<(string Code, long Count)> ResponsesByCode()
    {
        if (_endpoint is not { } endpoint) yield break;
        for (var i = 0; i < 256; i++)
        {
            var code = new CoapCode((byte)i);
            var count = endpoint.Statistics.HandlerResponses(code) + (_dtlsEndpoint?.Statistics.HandlerResponses(code) ?? 0);
            if (count > 0) yield return (code.ToString(), count);
        }
    }

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
            transport = new UdpDatagramTransport(settings.EndPoint(), shareWithGroups: multicastOptions.Value.Enabled, batchSize: settings.SocketBatch,
                busyPoll: TimeSpan.FromMicroseconds(settings.BusyPollMicroseconds));
        }
        catch (System.Net.Sockets.SocketException e)
        {
            // The host turns this into the one line "cannot listen: …"; name the socket there.
            throw new IOException($"CoAP on UDP {settings.EndPoint()}: {e.Message}", e);
        }
        _endpoint = new CoapEndpoint(transport, server, settings.ToEndpointOptions(), time, loggers.CreateLogger<CoapEndpoint>());
        _endpoint.Start();
        // The answers to a group commit's writers leave in one system call (docs/performance.md, "Answers after a group commit").
        services.GetService<OutboxCompletionScope>()?.Use(_endpoint.CoalesceAnswers);
        if (multicastOptions.Value.Enabled) StartMulticast(transport, settings, multicastOptions.Value);
        if (dtlsOptions.Value.Enabled) StartDtls(settings, dtlsOptions.Value);
        return Task.CompletedTask;
    }

    private void StartMulticast(UdpDatagramTransport transport, CoapListenerOptions settings, CoapMulticastOptions multicast)
    {
        // CoAP bound to one address (127.0.0.1, say) is a choice of exposure: the groups would open every interface to
        // discovery. Then only interfaces named in Coap:Multicast:Interfaces are joined.
        var bind = settings.EndPoint().Address;
        if (!bind.Equals(System.Net.IPAddress.Any) && !bind.Equals(System.Net.IPAddress.IPv6Any) && string.IsNullOrWhiteSpace(multicast.Interfaces))
        {
            transport.CloseToSharing();
            return;
        }
        // The tree itself, not the response counter: group requests are counted on their own (MulticastStatistics).
        MulticastResponder = new MulticastResponder(server, multicast.ToResponderOptions(TimeSpan.FromSeconds(settings.DefaultLeisureSeconds)), time,
            logger: loggers.CreateLogger<MulticastResponder>());
        _multicast = MulticastListener.Start(transport, multicast.ChooseInterfaces(), MulticastResponder, loggers.CreateLogger<MulticastListener>());
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
            // Batched like the CoAP socket, but never polling: after a HelloVerifyRequest the receive thread would spin
            // until the client's next ClientHello, which goes to a handshake worker anyway (README, "CoAP over DTLS").
            socket = new UdpDatagramTransport(bind, batchSize: settings.SocketBatch, busyPoll: TimeSpan.Zero);
        }
        catch (System.Net.Sockets.SocketException e)
        {
            throw new IOException($"CoAP over DTLS on UDP {bind}: {e.Message}", e);
        }
        var credentials = new DeviceDtlsCredentials(services.GetRequiredService<Gateway.Storage.Devices.IDeviceStore>());
        _dtls = new DtlsServerTransport(socket, credentials, certificates, dtls.ToTransportOptions(), time, loggers.CreateLogger<DtlsServerTransport>());
        _dtlsEndpoint = new CoapEndpoint(_dtls, server, settings.ToEndpointOptions(), time, loggers.CreateLogger<CoapEndpoint>());
        _dtlsEndpoint.Start();
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        services.GetService<OutboxCompletionScope>()?.Use(null);
        _multicast?.Dispose();
        _dtlsEndpoint?.Dispose();
        _endpoint?.Dispose();
        foreach (var mapped in _mapped) mapped.Dispose();
        return Task.CompletedTask;
    }
}
