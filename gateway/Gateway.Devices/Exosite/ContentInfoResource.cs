using Gateway.Coap.Server;

namespace Gateway.Devices.Exosite;

/// <summary><c>GET /provision/download/&lt;vendor&gt;/&lt;model&gt;/&lt;id&gt;/info?&lt;CIK&gt;</c> (peers.md §A.1 content info): <c>type,size,updated,meta</c>; 4.01, 4.04.</summary>
internal sealed class ContentInfoResource(ExositeDataports dataports, ExositeProvisioning provisioning) : CoapResource("info")
{
    protected override async ValueTask<CoapResponse> GetAsync(CoapRequest request, CancellationToken cancellationToken)
    {
        var auth = await dataports.AuthenticateAsync(ExositeCik.FromQuery(request.Options), ExositeCoap.Source(request), cancellationToken).ConfigureAwait(false);
        if (auth.Device is not { } device) return ExositeCoap.ToCoap(auth.Failure, dataports.Options);
        var route = request.RouteValues;
        var result = await provisioning.InfoAsync(device, route["vendor"], route["model"], route["id"], cancellationToken).ConfigureAwait(false);
        return ExositeCoap.ToCoap(result, dataports.Options);
    }
}
