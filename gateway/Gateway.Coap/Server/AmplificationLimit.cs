using Gateway.Coap.Codec;

namespace Gateway.Coap.Server;

/// <summary>
/// RFC 7252 §11.3 (amplification) and reliability.md G8: an error answer may be at most
/// <c>factor</c> times as large as its request, because the request may come from a spoofed
/// address nobody has verified. An error's payload is a diagnostic (§5.5.2) and optional, so it is
/// cut at a UTF-8 character boundary, or dropped, to fit. Success payloads are never cut: resources
/// bound those themselves (block-wise, small documents).
/// </summary>
internal static class AmplificationLimit
{
    public static CoapResponse Apply(CoapResponse response, int requestLength, int tokenLength, int factor)
    {
        if (factor <= 0 || response.Payload.IsEmpty || response.Code.Class is not (4 or 5)) return response;
        int length = CoapCodec.GetEncodedLength(tokenLength, response.Options, response.Payload.Length);
        long limit = (long)requestLength * factor;
        if (length <= limit) return response;
        int keep = (int)Math.Max(0, response.Payload.Length - (length - limit));
        var payload = response.Payload.Span;
        while (keep > 0 && (payload[keep] & 0xC0) == 0x80) keep--; // not inside a UTF-8 sequence
        return new CoapResponse(response.Code, keep == 0 ? default : response.Payload[..keep], response.Options);
    }
}
