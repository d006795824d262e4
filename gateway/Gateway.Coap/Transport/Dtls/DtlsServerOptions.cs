namespace Gateway.Coap.Transport.Dtls;

/// <summary>Limits of the DTLS server transport (issue 16's denial-of-service rules); defaults suit a Raspberry-Pi-class box.</summary>
public sealed class DtlsServerOptions
{
    /// <summary>Sessions kept at once (established and handshaking); a new one evicts the least recently active.</summary>
    public int MaxSessions { get; set; } = 2000;

    /// <summary>Handshakes in progress at once (each holds a thread); a new one evicts the oldest.</summary>
    public int MaxHandshakes { get; set; } = 32;

    /// <summary>A handshake not finished by then fails (and its peer state is freed).</summary>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// An established session with no record from its peer for this long is dropped. Long by default:
    /// a sleepy device's Observe relations live only as long as its session.
    /// </summary>
    public TimeSpan SessionIdleTimeout { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Datagrams queued per handshaking peer before more are dropped (counted).</summary>
    public int HandshakeQueueLength { get; set; } = 16;

    /// <summary>
    /// Length of the connection ids this server asks peers to put on their records (RFC 9146 §3), 0 to
    /// negotiate none. With one, a peer whose address changes (NAT rebinding) keeps its session.
    /// </summary>
    public int ConnectionIdLength { get; set; } = 6;

    /// <summary>Largest datagram sent; DTLS record overhead comes out of it (RFC 6347 §4.1.1.1, IPv6 minimum MTU 1280 less headers).</summary>
    public int MaxDatagramSize { get; set; } = 1232;

    public IEnumerable<string> Validate()
    {
        if (MaxSessions < 1) yield return "MaxSessions must be at least 1";
        if (MaxHandshakes < 1) yield return "MaxHandshakes must be at least 1";
        if (HandshakeTimeout <= TimeSpan.Zero || HandshakeTimeout > TimeSpan.FromMinutes(10)) yield return "HandshakeTimeout must be between 0 and 10 minutes";
        if (SessionIdleTimeout <= TimeSpan.Zero) yield return "SessionIdleTimeout must be positive";
        if (HandshakeQueueLength < 2) yield return "HandshakeQueueLength must be at least 2";
        if (ConnectionIdLength is < 0 or > 32) yield return "ConnectionIdLength must be 0 to 32";
        if (MaxDatagramSize is < 256 or > 65507) yield return "MaxDatagramSize must be 256 to 65507";
    }
}
