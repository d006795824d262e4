namespace Gateway.Bridge.Limits;

/// <summary>
/// The three rate limits ThingsBoard applies to one entity (thingsboard.md §4.1 <c>getSessionLimits</c>):
/// all messages, telemetry messages, telemetry data points; each a list of windows, all of which
/// must hold. An empty list means no limit.
/// </summary>
public sealed record RateLimitSet(IReadOnlyList<RateWindow> Messages, IReadOnlyList<RateWindow> TelemetryMessages, IReadOnlyList<RateWindow> TelemetryDataPoints)
{
    public static readonly RateLimitSet None = new([], [], []);

    public bool IsEmpty => Messages.Count == 0 && TelemetryMessages.Count == 0 && TelemetryDataPoints.Count == 0;

    /// <summary><c>messages 100:1,1000:60; telemetry 50:1; data points 500:1</c>; "none" when empty.</summary>
    public override string ToString()
    {
        if (IsEmpty) return "none";
        var parts = new List<string>(3);
        if (Messages.Count > 0) parts.Add("messages " + string.Join(',', Messages));
        if (TelemetryMessages.Count > 0) parts.Add("telemetry " + string.Join(',', TelemetryMessages));
        if (TelemetryDataPoints.Count > 0) parts.Add("data points " + string.Join(',', TelemetryDataPoints));
        return string.Join("; ", parts);
    }
}
