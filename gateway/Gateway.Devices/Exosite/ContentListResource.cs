using Gateway.Coap.Server;

namespace Gateway.Devices.Exosite;

/// <summary><c>GET /provision/download/&lt;vendor&gt;/&lt;model&gt;?&lt;CIK&gt;</c> (peers.md §A.1 list content): ids separated by newlines; 4.01, 4.04.</summary>
internal sealed class ContentListResource(ExositeDataports dataports, ExositeProvisioning provisioning) : CoapResource("{model}")
{
    protected override async ValueTask<CoapResponse> GetAsync(CoapRequest request, CancellationToken cancellationToken)
    {
        var auth = await dataports.AuthenticateAsync(ExositeCik.FromQuery(request.Options), ExositeCoap.Source(request), cancellationToken).ConfigureAwait(false);
        if (auth.Device is not { } device) return ExositeCoap.ToCoap(auth.Failure, dataports.Options);
        var result = await provisioning.ListAsync(device, request.RouteValues["vendor"], request.RouteValues["model"], cancellationToken).ConfigureAwait(false);
        return ExositeCoap.ToCoap(result, dataports.Options);
    }
}
