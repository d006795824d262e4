using System.Net;
using Gateway.Coap;
using Gateway.Coap.Messages;
using Gateway.Coap.Transport;

namespace Gateway.Interop.Tests.Support;

/// <summary>
/// Our own CoAP client over real UDP, with short retransmission timers so a readiness poll or a
/// liveness check answers within a second or two instead of the RFC's 45 s.
/// </summary>
public sealed class OwnClient : IDisposable
{
    private readonly CoapEndpoint _endpoint;

    public OwnClient()
    {
        var options = new CoapEndpointOptions { AckTimeout = TimeSpan.FromMilliseconds(250), AckRandomFactor = 1, MaxRetransmit = 2, ReceiveThreads = 1 };
        _endpoint = new CoapEndpoint(new UdpDatagramTransport(new IPEndPoint(IPAddress.IPv6Any, 0)), handler: null, options);
        _endpoint.Start();
    }

    /// <summary>A CON GET of a path like <c>.well-known/core</c>; fails on timeout, RST or after <paramref name="limit"/>.</summary>
    public async Task<CoapMessage> GetAsync(IPEndPoint server, string path, TimeSpan? limit = null)
    {
        var options = path.Split('/', StringSplitOptions.RemoveEmptyEntries)
            .Select(segment => CoapOption.FromString(CoapOptionNumber.UriPath, segment)).ToArray();
        using var cancel = new CancellationTokenSource(limit ?? TimeSpan.FromSeconds(5));
        return await _endpoint.SendRequestAsync(server, CoapCode.Get, options, cancellationToken: cancel.Token);
    }

    public void Dispose() => _endpoint.Dispose();
}
