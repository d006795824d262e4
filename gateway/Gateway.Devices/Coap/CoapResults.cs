using Gateway.Coap.Messages;
using Gateway.Coap.Server;
using Gateway.Devices.ThingsBoard;
using Gateway.Storage;

namespace Gateway.Devices.Coap;

/// <summary>Maps <see cref="DeviceApiResult"/> to ThingsBoard's CoAP answers (thingsboard.md §2.3, §2.4, §2.10).</summary>
internal static class CoapResults
{
    private static readonly CoapResponse Created = CoapResponse.Empty(CoapCode.Created);
    private static readonly CoapResponse Valid = CoapResponse.Empty(CoapCode.Valid);
    private static readonly CoapResponse Unauthorized = CoapResponse.Empty(CoapCode.Unauthorized);
    private static readonly CoapResponse NotFound = CoapResponse.Empty(CoapCode.NotFound);
    private static readonly CoapResponse BadRequest = CoapResponse.Empty(CoapCode.BadRequest);
    private static readonly CoapResponse InternalError = CoapResponse.Empty(CoapCode.InternalServerError);

    public static readonly ValueTask<CoapResponse> BadRequestTask = new(BadRequest);
    public static readonly ValueTask<CoapResponse> UnauthorizedTask = new(Unauthorized);

    /// <summary>
    /// §2.10: a JSON answer echoes the request's Content-Format when it has one, else 50. A source
    /// silenced for too many failed credentials gets no answer at all (reliability.md S6).
    /// </summary>
    public static CoapResponse ToCoap(DeviceApiResult result, CoapRequest request) => result.Status switch
    {
        DeviceApiStatus.Created => Created,
        DeviceApiStatus.Valid => Valid,
        DeviceApiStatus.Content => CoapResponse.WithFormat(CoapCode.Content, result.Body, ResponseFormat(request)),
        DeviceApiStatus.BadRequest => result.Diagnostic is { } d ? CoapResponse.Error(CoapCode.BadRequest, d) : BadRequest,
        DeviceApiStatus.Unauthorized => Unauthorized,
        DeviceApiStatus.Silent => CoapResponse.NoResponse,
        DeviceApiStatus.NotFound => NotFound,
        DeviceApiStatus.Unavailable when result.Body.IsEmpty => new CoapResponse(CoapCode.ServiceUnavailable, default, [MaxAge(result)]),
        // A JSON body (client-side RPC: {"error":…}) keeps its Content-Format, so a device parses it as it would a 2.05 answer.
        DeviceApiStatus.Unavailable => CoapResponse.WithFormat(CoapCode.ServiceUnavailable, result.Body, ResponseFormat(request), MaxAge(result)),
        DeviceApiStatus.GatewayTimeout => CoapResponse.WithFormat(CoapCode.GatewayTimeout, result.Body, ResponseFormat(request)),
        _ => InternalError,
    };

    private static CoapOption MaxAge(DeviceApiResult result) =>
        CoapOption.FromUInt(CoapOptionNumber.MaxAge, (uint)Math.Max(1, Math.Ceiling(result.RetryAfter.TotalSeconds)));

    public static int ResponseFormat(CoapRequest request) => request.ContentFormat ?? CoapContentFormat.Json;

    /// <summary>Completes synchronously when the service did (piggybacked on the receive thread), else where the service completes (<see cref="MappedValueTask{TIn,TState,TOut}"/>).</summary>
    public static ValueTask<CoapResponse> Map(ValueTask<DeviceApiResult> pending, CoapRequest request) =>
        MappedValueTask<DeviceApiResult, CoapRequest, CoapResponse>.Map(pending, request, ToCoap);

    /// <summary>The source key of the failure limiter: the address without port (a device may change ports).</summary>
    public static DeviceRequestContext Context(CoapRequest request, bool dedup = false) =>
        new(request.Peer.AddressToString())
        {
            SessionDevice = request.SessionIdentity,
            ExchangePeer = dedup ? request.Peer.ToString() : null,
            MessageId = request.MessageId,
        };
}
