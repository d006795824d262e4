using Gateway.Coap.Messages;
using Gateway.Coap.Server;
using Gateway.Devices.ThingsBoard;

namespace Gateway.Devices.Coap;

/// <summary><c>POST /api/v1/provision</c> (thingsboard.md §2.7): 2.01 on SUCCESS, 4.00 with the status JSON otherwise.</summary>
internal sealed class ProvisionResource(ProvisioningService provisioning) : CoapResource("provision")
{
    protected override ValueTask<CoapResponse> PostAsync(CoapRequest request, CancellationToken cancellationToken) =>
        Complete(provisioning.ProvisionAsync(request.Payload, CoapResults.Context(request), cancellationToken), request);

    private static async ValueTask<CoapResponse> Complete(ValueTask<DeviceApiResult> pending, CoapRequest request)
    {
        var result = await pending.ConfigureAwait(false);
        if (result.Body.IsEmpty) return CoapResults.ToCoap(result, request);
        var code = result.Status == DeviceApiStatus.Created ? CoapCode.Created : CoapCode.BadRequest;
        return CoapResponse.WithFormat(code, result.Body, CoapResults.ResponseFormat(request));
    }
}
