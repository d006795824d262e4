using System.Globalization;
using Gateway.Coap.Messages;
using Gateway.Coap.Server;
using Gateway.Devices.ThingsBoard;
using Gateway.Storage.Content;

namespace Gateway.Devices.Coap;

/// <summary>
/// CoAP face of <see cref="OtaService"/> (thingsboard.md §2.8): <c>title</c>, <c>version</c>, <c>size</c>,
/// <c>chunk</c> from the query; the answer is the whole requested range (a chunk, or the whole file
/// when size is 0), Content-Format 42, with the package's ETag. A range larger than one block goes out
/// in RFC 7959 Block2 blocks, each read from the package's file at NUM × size when it is asked for
/// (<see cref="IBlockSource"/>), so an image of any stored size is served in constant memory.
/// </summary>
internal sealed class OtaCoapAdapter(OtaService ota)
{
    public ValueTask<CoapResponse> HandleAsync(CoapRequest request, OtaPackageType type, string token, CancellationToken cancellationToken)
    {
        if (!TryLong(request.GetQueryValue("size"), out long size) || !TryLong(request.GetQueryValue("chunk"), out long chunk))
        {
            return new(CoapResponse.Error(CoapCode.BadRequest, "size and chunk must be integers"));
        }
        return Complete(ota.OpenAsync(token, type, request.GetQueryValue("title"), request.GetQueryValue("version"), size, chunk,
            CoapResults.Context(request), cancellationToken), request);
    }

    private static async ValueTask<CoapResponse> Complete(ValueTask<(DeviceApiResult Result, ContentRange? Range)> pending, CoapRequest request)
    {
        var (result, range) = await pending.ConfigureAwait(false);
        if (range is null) return CoapResults.ToCoap(result, request);
        return CoapResponse.FromSource(CoapCode.Content, new ContentBlockSource(range),
            CoapOption.FromUInt(CoapOptionNumber.ContentFormat, CoapContentFormat.OctetStream));
    }

    private static bool TryLong(string? text, out long value)
    {
        value = 0;
        return string.IsNullOrEmpty(text) || long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }
}
