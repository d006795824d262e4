using Gateway.Coap.Messages;
using Gateway.Coap.Server;
using Gateway.Devices.Coap;
using Gateway.Storage.Content;

namespace Gateway.Devices.Exosite;

/// <summary>
/// <c>GET /provision/download/&lt;vendor&gt;/&lt;model&gt;/&lt;id&gt;?&lt;CIK&gt;</c> (peers.md §A.1 download):
/// the content "as uploaded", block-wise (the endpoint answers the client's Block2 size, e.g. 0/0/128,
/// reading each block from the blob's file when it is asked for); Content-Format from the stored type when CoAP has a number for it.
/// </summary>
internal sealed class ContentResource(ExositeDataports dataports, ExositeProvisioning provisioning) : CoapResource("{id}")
{
    protected override async ValueTask<CoapResponse> GetAsync(CoapRequest request, CancellationToken cancellationToken)
    {
        var auth = await dataports.AuthenticateAsync(ExositeCik.FromQuery(request.Options), ExositeCoap.Source(request), cancellationToken).ConfigureAwait(false);
        if (auth.Device is not { } device) return ExositeCoap.ToCoap(auth.Failure, dataports.Options);
        var route = request.RouteValues;
        var reader = await provisioning.OpenDownloadAsync(device, route["vendor"], route["model"], route["id"], cancellationToken).ConfigureAwait(false);
        if (reader is null) return ExositeCoap.ToCoap(ExositeResult.NotFound, dataports.Options);
        var source = new ContentBlockSource(ContentRange.Whole(reader));
        return ExositeCoap.FormatOf(reader.Info.ContentType) is { } format
            ? CoapResponse.FromSource(CoapCode.Content, source, CoapOption.FromUInt(CoapOptionNumber.ContentFormat, (uint)format))
            : CoapResponse.FromSource(CoapCode.Content, source);
    }
}
