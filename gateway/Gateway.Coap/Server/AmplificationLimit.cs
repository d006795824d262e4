using Gateway.Coap.Codec;
using Gateway.Coap.Messages;

namespace Gateway.Coap.Server;

/// <summary>
/// RFC 7252 §11.3 (amplification) and reliability.md G8: an error answer may be at most
/// <c>factor</c> times as large as its request, because the request may come from a spoofed
/// address nobody has verified. An error's payload is a diagnostic (§5.5.2: optional, human
/// readable): it goes whole or not at all, because a prefix such as "option runs " misleads more
/// than the bare code does. Success payloads are never touched: resources bound those themselves
/// (block-wise, small documents).
/// </summary>
internal static class AmplificationLimit
{
    public static CoapResponse Apply(CoapResponse response, int requestLength, int tokenLength, int factor)
    {
        if (factor <= 0 || response.Payload.IsEmpty || response.Code.Class is not (4 or 5)) return response;
        int length = CoapCodec.GetEncodedLength(tokenLength, response.Options, response.Payload.Length);
        if (length <= (long)requestLength * factor) return response;
        // Without its payload a Content-Format would describe nothing (§5.10.3).
        return new CoapResponse(response.Code, default, response.Options.Where(o => o.Number != CoapOptionNumber.ContentFormat));
    }
}
