using Gateway.Coap.Server;
using Gateway.Devices.ThingsBoard;

namespace Gateway.Devices.Coap;

/// <summary><c>GET /fw/{token}</c> and <c>/sw/{token}</c>, ThingsBoard's real OTA resources (thingsboard.md §2.8); other methods 4.05.</summary>
internal sealed class OtaResource(OtaCoapAdapter adapter, OtaPackageType type) : CoapResource("{token}")
{
    protected override ValueTask<CoapResponse> GetAsync(CoapRequest request, CancellationToken cancellationToken) =>
        adapter.HandleAsync(request, type, request.RouteValues["token"], cancellationToken);
}
