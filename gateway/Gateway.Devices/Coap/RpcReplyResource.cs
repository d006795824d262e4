using Gateway.Coap.Server;
using Gateway.Devices.ThingsBoard;

namespace Gateway.Devices.Coap;

/// <summary>
/// <c>POST /api/v1/{token}/rpc/{id}</c>: the device's reply to a server-side RPC (thingsboard.md §2.3).
/// Under any other feature (<c>/api/v1/{token}/foo/1</c>) ThingsBoard finds no feature: 4.00.
/// </summary>
internal sealed class RpcReplyResource(DeviceApi api) : CoapResource("{id}")
{
    public override ValueTask<CoapResponse> HandleAsync(CoapRequest request, CancellationToken cancellationToken)
    {
        if (!string.Equals(request.RouteValues["feature"], "rpc", StringComparison.OrdinalIgnoreCase)) return CoapResults.BadRequestTask;
        return base.HandleAsync(request, cancellationToken);
    }

    protected override ValueTask<CoapResponse> PostAsync(CoapRequest request, CancellationToken cancellationToken) =>
        CoapResults.Map(api.PostRpcReplyAsync(request.RouteValues["token"], request.RouteValues["id"], request.Payload, CoapResults.Context(request, dedup: true), cancellationToken), request);
}
