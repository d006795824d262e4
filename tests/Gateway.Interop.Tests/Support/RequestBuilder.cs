using Gateway.Coap.Messages;

namespace Gateway.Interop.Tests.Support;

/// <summary>A CON request from a <c>path?query</c> string, for tests that put raw datagrams on the wire.</summary>
public static class RequestBuilder
{
    public static CoapMessage Build(CoapCode method, string pathAndQuery, byte[]? payload = null, int? contentFormat = null, byte[]? token = null,
        params CoapOption[] extra)
    {
        var parts = pathAndQuery.Split('?', 2);
        var options = new List<CoapOption>(extra);
        options.AddRange(parts[0].Split('/', StringSplitOptions.RemoveEmptyEntries).Select(s => CoapOption.FromString(CoapOptionNumber.UriPath, s)));
        if (parts.Length == 2) options.AddRange(parts[1].Split('&').Select(q => CoapOption.FromString(CoapOptionNumber.UriQuery, q)));
        if (contentFormat is { } format) options.Add(CoapOption.FromUInt(CoapOptionNumber.ContentFormat, (uint)format));
        return new CoapMessage(CoapMessageType.Confirmable, method, 1, token ?? [0xA5, 0x5A], options, payload);
    }
}
