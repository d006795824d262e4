using System.Globalization;
using Gateway.Coap.Messages;
using Gateway.Coap.Server;
using Gateway.Devices.ThingsBoard;

namespace Gateway.Devices.Coap;

/// <summary>
/// CoAP face of <see cref="OtaService"/> (thingsboard.md §2.8): <c>title</c>, <c>version</c>, <c>size</c>,
/// <c>chunk</c> from the query, then the requested range (a chunk or the whole file) is sliced into
/// RFC 7959 Block2 blocks when it does not fit one block (1024 bytes, Californium's preferred size,
/// or the client's smaller Block2 SZX). Stateless: each block is read from the content store.
/// </summary>
internal sealed class OtaCoapAdapter(OtaService ota, DeviceApiOptions options)
{
    public ValueTask<CoapResponse> HandleAsync(CoapRequest request, OtaPackageType type, string token, CancellationToken cancellationToken)
    {
        if (!TryLong(request.GetQueryValue("size"), out long size) || !TryLong(request.GetQueryValue("chunk"), out long chunk))
        {
            return new(CoapResponse.Error(CoapCode.BadRequest, "size and chunk must be integers"));
        }
        var block2 = request.Options.FirstOrDefault(o => o.Number == CoapOptionNumber.Block2);
        BlockOption? requested = null;
        if (block2.Number == CoapOptionNumber.Block2 && block2.TryGetUInt(out uint raw))
        {
            requested = BlockOption.Decode(raw);
            if (requested.Value.Szx > BlockOption.MaxSzx) return new(CoapResponse.Error(CoapCode.BadOption, "Block2 SZX 7 is reserved"));
        }
        int szx = Math.Min(requested?.Szx ?? BlockOption.MaxSzx, BlockOption.SzxForSize(options.MaxChunkSize));
        int blockSize = 1 << (szx + 4);
        uint number = requested?.Number ?? 0;
        // A block number from a larger SZX maps to the same offset in smaller blocks (RFC 7959 §2.4).
        if (requested is { } r && r.Szx > szx) number = (uint)(r.Offset / blockSize);
        long offset = (long)number * blockSize;
        return Complete(ota.ReadAsync(token, type, request.GetQueryValue("title"), request.GetQueryValue("version"), size, chunk, offset, blockSize,
            CoapResults.Context(request), cancellationToken), request, requested is not null, number, szx, offset);
    }

    private static async ValueTask<CoapResponse> Complete(ValueTask<DeviceApiResult> pending, CoapRequest request, bool blockRequested, uint number, int szx, long offset)
    {
        var result = await pending.ConfigureAwait(false);
        if (result.Status != DeviceApiStatus.Content) return CoapResults.ToCoap(result, request);
        bool more = offset + result.Body.Length < result.TotalSize;
        if (!blockRequested && !more) return CoapResponse.WithFormat(CoapCode.Content, result.Body, CoapContentFormat.OctetStream);
        return CoapResponse.WithFormat(CoapCode.Content, result.Body, CoapContentFormat.OctetStream,
            new BlockOption(number, more, szx).ToOption(CoapOptionNumber.Block2),
            CoapOption.FromUInt(CoapOptionNumber.Size2, (uint)Math.Min(uint.MaxValue, result.TotalSize)));
    }

    private static bool TryLong(string? text, out long value)
    {
        value = 0;
        return string.IsNullOrEmpty(text) || long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }
}
