using Gateway.Coap.Messages;
using Gateway.Coap.Server;
using Gateway.Devices.ThingsBoard;

namespace Gateway.Devices.Coap;

/// <summary>
/// <c>/api/v1/{token}/{feature}</c>: ThingsBoard's one resource for all features (thingsboard.md §2.2).
/// The feature is matched case-insensitively like ThingsBoard's enum; an unknown feature is 4.00, not
/// 4.04, and so are GET on telemetry/claim and GET on rpc without Observe (§2.4). These checks come
/// before the token lookup, as in ThingsBoard. <c>firmware</c>/<c>software</c> serve the documented
/// OTA path (§2.8: ThingsBoard itself answers 4.00 there; we serve it like <c>/fw/{token}</c>).
/// </summary>
internal sealed class FeatureResource(DeviceApi api, OtaCoapAdapter ota) : CoapResource("{feature}")
{
    protected override ValueTask<CoapResponse> GetAsync(CoapRequest request, CancellationToken cancellationToken)
    {
        string token = request.RouteValues["token"];
        switch (Feature.Parse(request.RouteValues["feature"]))
        {
            case Feature.Kind.Attributes:
                return CoapResults.Map(api.GetAttributesAsync(token, CoapQuery.Keys(request.Query, "clientKeys"), CoapQuery.Keys(request.Query, "sharedKeys"),
                    CoapResults.Context(request), cancellationToken), request);
            case Feature.Kind.Firmware:
                return ota.HandleAsync(request, OtaPackageType.Firmware, token, cancellationToken);
            case Feature.Kind.Software:
                return ota.HandleAsync(request, OtaPackageType.Software, token, cancellationToken);
            default:
                // telemetry, claim, rpc without Observe, unknown: 4.00 (§2.4)
                return CoapResults.BadRequestTask;
        }
    }

    protected override ValueTask<CoapResponse> PostAsync(CoapRequest request, CancellationToken cancellationToken)
    {
        string token = request.RouteValues["token"];
        var payload = request.Payload;
        var context = CoapResults.Context(request, dedup: true);
        return Feature.Parse(request.RouteValues["feature"]) switch
        {
            Feature.Kind.Telemetry => CoapResults.Map(api.IngestTelemetryAsync(token, payload, context, cancellationToken), request),
            Feature.Kind.Attributes => CoapResults.Map(api.PostClientAttributesAsync(token, payload, context, cancellationToken), request),
            Feature.Kind.Rpc => CoapResults.Map(api.ClientRpcAsync(token, payload, CoapResults.Context(request), cancellationToken), request),
            Feature.Kind.Claim => CoapResults.Map(api.ClaimAsync(token, payload, context, cancellationToken), request),
            Feature.Kind.Firmware or Feature.Kind.Software => MethodNotAllowed, // §2.8: POST on OTA → 4.05
            _ => CoapResults.BadRequestTask,
        };
    }
}
