using Gateway.Coap.Server;

namespace Gateway.Devices.Coap;

/// <summary>
/// <c>/api/v1/{x}</c> with nothing after it: ThingsBoard reads this as an X.509 request
/// (<c>/api/v1/telemetry</c>) and, without a DTLS certificate, answers 4.01 (thingsboard.md §2.2, §2.4).
/// Without a DTLS session that authenticated a device (token-less URIs route past this resource then,
/// <see cref="Gateway.Coap.Server.CoapServer.AddSessionRoute"/>), every method gets 4.01.
/// </summary>
internal sealed class MissingTokenResource() : CoapResource("{token}")
{
    public override ValueTask<CoapResponse> HandleAsync(CoapRequest request, CancellationToken cancellationToken) => CoapResults.UnauthorizedTask;
}
