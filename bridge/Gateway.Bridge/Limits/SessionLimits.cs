namespace Gateway.Bridge.Limits;

/// <summary>
/// What ThingsBoard answered to <c>getSessionLimits</c> (thingsboard.md §4.1): the largest payload,
/// the most QoS 1 messages in flight, and the rate limits per device (<c>rateLimits</c>; for a
/// gateway session the devices behind it) and for the whole gateway session
/// (<c>gatewayRateLimits</c>). Zero or absent values mean "no limit".
/// </summary>
public sealed record SessionLimits(int MaxPayloadSize, int MaxInflightMessages, RateLimitSet Device, RateLimitSet Gateway)
{
    public static readonly SessionLimits None = new(0, 0, RateLimitSet.None, RateLimitSet.None);

    /// <summary>One line for logs and <c>status</c>.</summary>
    public override string ToString() =>
        $"payload {(MaxPayloadSize > 0 ? MaxPayloadSize + " B" : "unlimited")}, in flight {(MaxInflightMessages > 0 ? MaxInflightMessages.ToString(System.Globalization.CultureInfo.InvariantCulture) : "unlimited")}, per device {Device}, gateway {Gateway}";
}
