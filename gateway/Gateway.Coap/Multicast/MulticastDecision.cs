namespace Gateway.Coap.Multicast;

/// <summary>What the gateway does with a datagram that arrived for an All-CoAP-Nodes group (RFC 7252 §8).</summary>
public enum MulticastDecision
{
    /// <summary>A NON discovery GET: answered after a random leisure (§8.2.1) if the answer has something to say.</summary>
    Answer,

    /// <summary>Not a request, or undecodable: nothing to answer (§8.1: no RST to a multicast message either).</summary>
    NotRequest,

    /// <summary>A CON by multicast (§8.1: a multicast request is NON): ignored silently.</summary>
    Confirmable,

    /// <summary>POST, PUT, DELETE, PATCH…: nothing is written because of a request anyone on the link may send.</summary>
    Write,

    /// <summary>A GET of a resource that is not a discovery resource (only <c>/.well-known/core</c> is answered here).</summary>
    NotDiscovery,

    /// <summary>A Block2 request past the first block: later blocks are fetched by unicast (RFC 7959 §2.8).</summary>
    LaterBlock,
}
