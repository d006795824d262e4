namespace Gateway.Coap.Codec;

/// <summary>The RFC 7252 reaction to a message that cannot be processed.</summary>
public enum CoapRejectAction : byte
{
    /// <summary>Process normally.</summary>
    Accept = 0,
    /// <summary>Silently ignore (§3 unknown version, §4.2/§4.3 rejecting a NON, ACK or RST).</summary>
    Ignore,
    /// <summary>Reject a Confirmable message with a matching Reset (§4.2).</summary>
    Reset,
    /// <summary>Answer the request with 4.00 Bad Request echoing its token.</summary>
    BadRequest,
    /// <summary>Answer the request with 4.02 Bad Option echoing its token (§5.4.1).</summary>
    BadOption,
}
