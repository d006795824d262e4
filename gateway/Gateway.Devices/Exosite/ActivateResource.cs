using Gateway.Coap.Server;

namespace Gateway.Devices.Exosite;

/// <summary><c>POST /provision/activate/&lt;vendor&gt;/&lt;model&gt;/&lt;sn&gt;</c> (peers.md §A.1 activate): 2.05 + the 40-character CIK, or 4.04.</summary>
internal sealed class ActivateResource(ExositeProvisioning provisioning, ExositeOptions options) : CoapResource("{sn}")
{
    protected override async ValueTask<CoapResponse> PostAsync(CoapRequest request, CancellationToken cancellationToken)
    {
        var route = request.RouteValues;
        var result = await provisioning.ActivateAsync(route["vendor"], route["model"], route["sn"], cancellationToken).ConfigureAwait(false);
        return ExositeCoap.ToCoap(result, options);
    }
}
