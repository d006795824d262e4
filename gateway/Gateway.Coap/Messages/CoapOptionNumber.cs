namespace Gateway.Coap.Messages;

/// <summary>
/// Registered option numbers (RFC 7252 §5.10, §12.2; RFC 7641 §2; RFC 7959 §2.1, §4) and the
/// properties the number itself encodes (§5.4.6).
/// </summary>
public static class CoapOptionNumber
{
    public const ushort IfMatch = 1;
    public const ushort UriHost = 3;
    public const ushort ETag = 4;
    public const ushort IfNoneMatch = 5;
    public const ushort Observe = 6;
    public const ushort UriPort = 7;
    public const ushort LocationPath = 8;
    public const ushort UriPath = 11;
    public const ushort ContentFormat = 12;
    public const ushort MaxAge = 14;
    public const ushort UriQuery = 15;
    public const ushort Accept = 17;
    public const ushort LocationQuery = 20;
    public const ushort Block2 = 23;
    public const ushort Block1 = 27;
    public const ushort Size2 = 28;
    public const ushort ProxyUri = 35;
    public const ushort ProxyScheme = 39;
    public const ushort Size1 = 60;
    public const ushort RequestTag = 292; // RFC 9175 §3.2: elective, safe to forward, repeatable, 0-8 bytes

    /// <summary>§5.4.6: an odd number is critical.</summary>
    public static bool IsCritical(int number) => (number & 1) != 0;

    /// <summary>§5.4.6: bit 1 set means unsafe to forward.</summary>
    public static bool IsUnsafe(int number) => (number & 2) != 0;

    /// <summary>§5.4.6: NoCacheKey is (number &amp; 0x1e) == 0x1c; only meaningful for safe-to-forward options.</summary>
    public static bool IsNoCacheKey(int number) => (number & 0x1E) == 0x1C;

    /// <summary>Whether this stack understands the option (an unknown critical option in a request gets 4.02, §5.4.1).</summary>
    public static bool IsRecognized(int number) => TryGetDefinition(number, out _);

    /// <summary>Format and length bounds from the §5.10 table (and RFC 7641/7959 for Observe, Block, Size).</summary>
    public static bool TryGetDefinition(int number, out CoapOptionDefinition definition)
    {
        definition = number switch
        {
            IfMatch => new(CoapOptionFormat.Opaque, 0, 8, Repeatable: true),
            UriHost => new(CoapOptionFormat.String, 1, 255, Repeatable: false),
            ETag => new(CoapOptionFormat.Opaque, 1, 8, Repeatable: true),
            IfNoneMatch => new(CoapOptionFormat.Empty, 0, 0, Repeatable: false),
            Observe => new(CoapOptionFormat.UInt, 0, 3, Repeatable: false),
            UriPort => new(CoapOptionFormat.UInt, 0, 2, Repeatable: false),
            LocationPath => new(CoapOptionFormat.String, 0, 255, Repeatable: true),
            UriPath => new(CoapOptionFormat.String, 0, 255, Repeatable: true),
            ContentFormat => new(CoapOptionFormat.UInt, 0, 2, Repeatable: false),
            MaxAge => new(CoapOptionFormat.UInt, 0, 4, Repeatable: false),
            UriQuery => new(CoapOptionFormat.String, 0, 255, Repeatable: true),
            Accept => new(CoapOptionFormat.UInt, 0, 2, Repeatable: false),
            LocationQuery => new(CoapOptionFormat.String, 0, 255, Repeatable: true),
            Block2 or Block1 => new(CoapOptionFormat.UInt, 0, 3, Repeatable: false),
            Size2 or Size1 => new(CoapOptionFormat.UInt, 0, 4, Repeatable: false),
            ProxyUri => new(CoapOptionFormat.String, 1, 1034, Repeatable: false),
            ProxyScheme => new(CoapOptionFormat.String, 1, 255, Repeatable: false),
            RequestTag => new(CoapOptionFormat.Opaque, 0, 8, Repeatable: true),
            _ => default,
        };
        return definition.MaxLength > 0 || number == IfNoneMatch || number == IfMatch;
    }

    public static string Name(int number) => number switch
    {
        IfMatch => "If-Match", UriHost => "Uri-Host", ETag => "ETag", IfNoneMatch => "If-None-Match",
        Observe => "Observe", UriPort => "Uri-Port", LocationPath => "Location-Path", UriPath => "Uri-Path",
        ContentFormat => "Content-Format", MaxAge => "Max-Age", UriQuery => "Uri-Query", Accept => "Accept",
        LocationQuery => "Location-Query", Block2 => "Block2", Block1 => "Block1", Size2 => "Size2",
        ProxyUri => "Proxy-Uri", ProxyScheme => "Proxy-Scheme", Size1 => "Size1", RequestTag => "Request-Tag",
        _ => $"Option {number}",
    };
}

/// <summary>Value formats of RFC 7252 §3.2.</summary>
public enum CoapOptionFormat : byte { Empty, Opaque, UInt, String }

/// <summary>One row of the §5.10 option table.</summary>
public readonly record struct CoapOptionDefinition(CoapOptionFormat Format, int MinLength, int MaxLength, bool Repeatable);
