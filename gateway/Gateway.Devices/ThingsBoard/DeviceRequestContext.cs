namespace Gateway.Devices.ThingsBoard;

/// <summary>
/// Transport facts a device call needs besides its arguments.
/// </summary>
/// <param name="Source">The client's address without port (e.g. "192.0.2.10"): the key of the authentication-failure limiter.</param>
public readonly record struct DeviceRequestContext(string Source)
{
    /// <summary>
    /// The device the transport authenticated (a DTLS session with a PSK or a mapped certificate), or
    /// null. With one, an empty token means "this device" and any other token must be this device's.
    /// </summary>
    public string? SessionDevice { get; init; }

    /// <summary>
    /// The peer of a CoAP request, with <see cref="MessageId"/>: what identifies it among its retransmissions
    /// (RFC 7252 §4.5). Stored with the outbox row so a retransmission never creates a second row, also after a
    /// restart; the store keeps a peer's records in blocks of consecutive Message IDs. Null: no dedup (HTTP).
    /// </summary>
    public string? ExchangePeer { get; init; }

    /// <summary>The request's Message ID, with <see cref="ExchangePeer"/>.</summary>
    public int MessageId { get; init; }
}
