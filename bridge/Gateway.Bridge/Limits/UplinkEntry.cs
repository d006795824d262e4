namespace Gateway.Bridge.Limits;

/// <summary>
/// One device's part of an upstream PUBLISH as ThingsBoard's rate limiter sees it: each device entry
/// of a gateway message is checked on its own (per device and against the gateway,
/// <c>DefaultTransportRateLimitService.checkLimits</c>). <see cref="Device"/> is empty for the
/// gateway device's own messages. Telemetry entries carry their data points (key-value pairs).
/// </summary>
public readonly record struct UplinkEntry(string Device, bool Telemetry, int DataPoints);
