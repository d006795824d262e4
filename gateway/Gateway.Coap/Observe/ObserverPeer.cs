namespace Gateway.Coap.Observe;

/// <summary>
/// One observing endpoint (address and port) with its relations, and what congestion control needs to know of
/// it as a whole: RFC 7252 §4.7 limits what is sent to an endpoint, not to each of its relations, so a device
/// behind a NAT or a proxy with 100 relations gets one PROBING_RATE budget, not 100. Guarded by the endpoint's gate.
/// </summary>
internal sealed class ObserverPeer(long now)
{
    public List<ObserveRelation> Relations { get; } = [];

    /// <summary>When the peer was last heard from: a registration, or an ACK of a notification.</summary>
    public long LastHeard = now;

    /// <summary>Bytes sent to the peer as NON notifications since <see cref="LastHeard"/> (PROBING_RATE, RFC 7252 §4.7).</summary>
    public long NonBytes;

    /// <summary>The peer answered or asked: its PROBING_RATE budget starts over.</summary>
    public void Heard(long now)
    {
        LastHeard = now;
        NonBytes = 0;
    }
}
