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
}
