using System.Security.Cryptography;
using Gateway.Coap.Messages;
using Gateway.Coap.Server;

namespace Gateway.Devices.Exosite;

/// <summary>CoAP side of the Exosite API: result → code (peers.md §A.1 response tables) and request helpers.</summary>
internal static class ExositeCoap
{
    private static readonly CoapResponse Changed = CoapResponse.Empty(CoapCode.Changed);
    private static readonly CoapResponse Unauthorized = CoapResponse.Empty(CoapCode.Unauthorized);
    private static readonly CoapResponse Forbidden = CoapResponse.Empty(CoapCode.Forbidden);
    private static readonly CoapResponse NotFound = CoapResponse.Empty(CoapCode.NotFound);
    private static readonly CoapResponse BadRequest = CoapResponse.Empty(CoapCode.BadRequest);

    public static readonly ValueTask<CoapResponse> UnauthorizedTask = new(Unauthorized);
    public static readonly ValueTask<CoapResponse> NotFoundTask = new(NotFound);

    /// <summary>
    /// §A.1: 2.04 write, 2.05 content (values are bare UTF-8, "No Content-Format on simple read/write"),
    /// 4.01 CIK, 4.03 alias, 4.04 activation/content; the write-rate code is configurable; a refused store
    /// is 5.03 + Max-Age like the ThingsBoard API (DESIGN.md: storage refusal).
    /// </summary>
    public static CoapResponse ToCoap(ExositeResult result, ExositeOptions options) => result.Status switch
    {
        ExositeStatus.Changed => Changed,
        ExositeStatus.Content => new CoapResponse(CoapCode.Content, result.Body),
        ExositeStatus.BadRequest => result.Diagnostic is { } d ? CoapResponse.Error(CoapCode.BadRequest, d) : BadRequest,
        ExositeStatus.Unauthorized => Unauthorized,
        ExositeStatus.Forbidden => Forbidden,
        ExositeStatus.NotFound => NotFound,
        ExositeStatus.TooFast => CoapResponse.Empty(new CoapCode(options.TooFastCode)),
        ExositeStatus.Silent => CoapResponse.NoResponse,
        _ => new CoapResponse(CoapCode.ServiceUnavailable, default,
            [CoapOption.FromUInt(CoapOptionNumber.MaxAge, (uint)Math.Clamp(Math.Ceiling(result.RetryAfter.TotalSeconds), 1, uint.MaxValue))]),
    };

    /// <summary>The failure limiter's key: the address without port.</summary>
    public static string Source(CoapRequest request) => request.Peer.AddressToString();

    /// <summary>
    /// The durable dedup key of a write: the exchange (peer + Message ID) plus a digest of the request's
    /// path, query and payload. CoAPExample sends every request with Message ID 0x37 (§A.2), so two
    /// different writes from one port must not look like one retransmitted write; a true retransmission is
    /// byte-identical and still matches.
    /// </summary>
    public static string DedupKey(CoapRequest request)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> header = stackalloc byte[4];
        foreach (var option in request.Options)
        {
            if (option.Number is not (CoapOptionNumber.UriPath or CoapOptionNumber.UriQuery)) continue;
            System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(header, option.Number);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(header[2..], (ushort)option.Value.Length);
            hash.AppendData(header);
            hash.AppendData(option.Value.Span);
        }
        hash.AppendData(request.Payload.Span);
        Span<byte> digest = stackalloc byte[32];
        hash.GetHashAndReset(digest);
        return $"{request.ExchangeKey}|{Convert.ToHexStringLower(digest[..8])}";
    }

    /// <summary>Content-Format for a stored MIME type, or null when CoAP has no number for it.</summary>
    public static int? FormatOf(string contentType) => contentType.Split(';')[0].Trim().ToLowerInvariant() switch
    {
        "text/plain" => CoapContentFormat.TextPlain,
        "application/octet-stream" => CoapContentFormat.OctetStream,
        "application/json" => CoapContentFormat.Json,
        "application/cbor" => CoapContentFormat.Cbor,
        _ => null,
    };
}
