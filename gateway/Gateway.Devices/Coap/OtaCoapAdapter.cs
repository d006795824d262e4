using System.Globalization;
using Gateway.Coap.Messages;
using Gateway.Coap.Server;
using Gateway.Devices.ThingsBoard;

namespace Gateway.Devices.Coap;

/// <summary>
/// CoAP face of <see cref="OtaService"/> (thingsboard.md §2.8): <c>title</c>, <c>version</c>, <c>size</c>,
/// <c>chunk</c> from the query; the answer is the whole requested range (a chunk, or the whole file
/// when size is 0), Content-Format 42. A range larger than one block is sliced into RFC 7959 Block2
/// blocks by the endpoint, which caches the body for the following blocks (Gateway.Coap block-wise).
/// Whole-file transfers are capped at <see cref="DeviceApiOptions.MaxWholeOtaBody"/>; beyond it the
/// device must use <c>size</c>/<c>chunk</c> (5.00 with a diagnostic).
/// </summary>
internal sealed class OtaCoapAdapter(OtaService ota, DeviceApiOptions options)
{
    public ValueTask<CoapResponse> HandleAsync(CoapRequest request, OtaPackageType type, string token, CancellationToken cancellationToken)
    {
        if (!TryLong(request.GetQueryValue("size"), out long size) || !TryLong(request.GetQueryValue("chunk"), out long chunk))
        {
            return new(CoapResponse.Error(CoapCode.BadRequest, "size and chunk must be integers"));
        }
        return Complete(ota.ReadAsync(token, type, request.GetQueryValue("title"), request.GetQueryValue("version"), size, chunk, 0, options.MaxWholeOtaBody,
            CoapResults.Context(request), cancellationToken), request);
    }

    private static async ValueTask<CoapResponse> Complete(ValueTask<DeviceApiResult> pending, CoapRequest request)
    {
        var result = await pending.ConfigureAwait(false);
        if (result.Status != DeviceApiStatus.Content) return CoapResults.ToCoap(result, request);
        if (result.Body.Length < result.TotalSize) return CoapResponse.Error(CoapCode.InternalServerError, "package too large for one transfer; use size and chunk");
        return CoapResponse.WithFormat(CoapCode.Content, result.Body, CoapContentFormat.OctetStream);
    }

    private static bool TryLong(string? text, out long value)
    {
        value = 0;
        return string.IsNullOrEmpty(text) || long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }
}
