using Gateway.Coap.Messages;
using Gateway.Coap.Server;

namespace Gateway.Devices.Exosite;

/// <summary>
/// <c>GET /provision/download/&lt;vendor&gt;/&lt;model&gt;/&lt;id&gt;?&lt;CIK&gt;</c> (peers.md §A.1 download):
/// the content "as uploaded", block-wise (the endpoint answers the client's Block2 size, e.g. 0/0/128,
/// and caches the body between blocks); Content-Format from the stored type when CoAP has a number for it.
/// </summary>
internal sealed class ContentResource(ExositeDataports dataports, ExositeProvisioning provisioning) : CoapResource("{id}")
{
    protected override async ValueTask<CoapResponse> GetAsync(CoapRequest request, CancellationToken cancellationToken)
    {
        var auth = await dataports.AuthenticateAsync(ExositeCik.FromQuery(request.Options), ExositeCoap.Source(request), cancellationToken).ConfigureAwait(false);
        if (auth.Device is not { } device) return ExositeCoap.ToCoap(auth.Failure, dataports.Options);
        var route = request.RouteValues;
        var (result, info) = await provisioning.DownloadAsync(device, route["vendor"], route["model"], route["id"], cancellationToken).ConfigureAwait(false);
        if (info is null) return ExositeCoap.ToCoap(result, dataports.Options);
        return ExositeCoap.FormatOf(info.ContentType) is { } format
            ? CoapResponse.WithFormat(CoapCode.Content, result.Body, format)
            : new CoapResponse(CoapCode.Content, result.Body);
    }
}
