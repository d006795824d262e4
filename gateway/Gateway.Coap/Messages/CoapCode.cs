namespace Gateway.Coap.Messages;

/// <summary>
/// An 8-bit CoAP code, <c>c.dd</c>: 3-bit class and 5-bit detail (RFC 7252 §3, §12.1).
/// Class 0 is a request method (or 0.00 Empty), 2/4/5 are responses.
/// </summary>
public readonly record struct CoapCode(byte Value)
{
    public int Class => Value >> 5;
    public int Detail => Value & 0x1F;

    public bool IsEmpty => Value == 0;
    public bool IsRequest => Class == 0 && Value != 0;
    public bool IsResponse => Class is >= 2 and <= 5;
    public bool IsSuccess => Class == 2;

    /// <summary>
    /// GET (RFC 7252 §5.8.1) or FETCH (RFC 8132 §2): safe and idempotent, so a response may be produced again for a
    /// retransmission (RFC 7252 §4.5), and the methods an observation is registered with (RFC 7641 §2, RFC 8132 §2.4).
    /// </summary>
    public bool IsSafe => this == Get || this == Fetch;

    public static CoapCode From(int cls, int detail) => new((byte)((cls << 5) | detail));

    public override string ToString() => $"{Class}.{Detail:D2}";

    // §12.1.1 Method Codes
    public static readonly CoapCode Empty = new(0);
    public static readonly CoapCode Get = new(1);
    public static readonly CoapCode Post = new(2);
    public static readonly CoapCode Put = new(3);
    public static readonly CoapCode Delete = new(4);
    public static readonly CoapCode Fetch = new(5);   // RFC 8132
    public static readonly CoapCode Patch = new(6);   // RFC 8132
    public static readonly CoapCode IPatch = new(7);  // RFC 8132

    // §12.1.2 Response Codes
    public static readonly CoapCode Created = From(2, 1);
    public static readonly CoapCode Deleted = From(2, 2);
    public static readonly CoapCode Valid = From(2, 3);
    public static readonly CoapCode Changed = From(2, 4);
    public static readonly CoapCode Content = From(2, 5);
    public static readonly CoapCode Continue = From(2, 31);             // RFC 7959 §2.9.1
    public static readonly CoapCode BadRequest = From(4, 0);
    public static readonly CoapCode Unauthorized = From(4, 1);
    public static readonly CoapCode BadOption = From(4, 2);
    public static readonly CoapCode Forbidden = From(4, 3);
    public static readonly CoapCode NotFound = From(4, 4);
    public static readonly CoapCode MethodNotAllowed = From(4, 5);
    public static readonly CoapCode NotAcceptable = From(4, 6);
    public static readonly CoapCode RequestEntityIncomplete = From(4, 8); // RFC 7959 §2.9.2
    public static readonly CoapCode PreconditionFailed = From(4, 12);
    public static readonly CoapCode RequestEntityTooLarge = From(4, 13);
    public static readonly CoapCode UnsupportedContentFormat = From(4, 15);
    public static readonly CoapCode TooManyRequests = From(4, 29);        // RFC 8516
    public static readonly CoapCode InternalServerError = From(5, 0);
    public static readonly CoapCode NotImplemented = From(5, 1);
    public static readonly CoapCode BadGateway = From(5, 2);
    public static readonly CoapCode ServiceUnavailable = From(5, 3);
    public static readonly CoapCode GatewayTimeout = From(5, 4);
    public static readonly CoapCode ProxyingNotSupported = From(5, 5);
}
