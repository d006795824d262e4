namespace Gateway.Coap.Messages;

/// <summary>Content-Format numbers from the CoRE registry (RFC 7252 §12.3 and later registrations).</summary>
public static class CoapContentFormat
{
    public const ushort TextPlain = 0;
    public const ushort LinkFormat = 40;
    public const ushort Xml = 41;
    public const ushort OctetStream = 42;
    public const ushort Exi = 47;
    public const ushort Json = 50;
    public const ushort Cbor = 60;

    public static string Name(int format) => format switch
    {
        TextPlain => "text/plain;charset=utf-8",
        LinkFormat => "application/link-format",
        Xml => "application/xml",
        OctetStream => "application/octet-stream",
        Exi => "application/exi",
        Json => "application/json",
        Cbor => "application/cbor",
        _ => $"format {format}",
    };
}
