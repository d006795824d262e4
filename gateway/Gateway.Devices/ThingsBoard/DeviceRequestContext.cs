namespace Gateway.Devices.ThingsBoard;

/// <summary>
/// Transport facts a device call needs besides its arguments.
/// </summary>
/// <param name="Source">The client's address without port (e.g. "192.0.2.10"): the key of the authentication-failure limiter.</param>
/// <param name="ExchangeKey">
/// Identifies this request among its retransmissions (CoAP: <c>CoapRequest.ExchangeKey</c>, peer + Message ID);
/// stored with the outbox row so a retransmission never creates a second row, also after a restart. Null, and no
/// <see cref="ExchangePeer"/> either: no dedup (HTTP).
/// </param>
public readonly record struct DeviceRequestContext(string Source, string? ExchangeKey = null)
{
    /// <summary>
    /// The device the transport authenticated (a DTLS session with a PSK or a mapped certificate), or
    /// null. With one, an empty token means "this device" and any other token must be this device's.
    /// </summary>
    public string? SessionDevice { get; init; }

    /// <summary>
    /// The peer of a CoAP request, with <see cref="MessageId"/>: what an exchange key names, apart. The store keeps a
    /// peer's records in blocks of consecutive Message IDs, which a whole key would scatter. Preferred to <see cref="ExchangeKey"/>.
    /// </summary>
    public string? ExchangePeer { get; init; }

    /// <summary>The request's Message ID, with <see cref="ExchangePeer"/>.</summary>
    public int MessageId { get; init; }
}
