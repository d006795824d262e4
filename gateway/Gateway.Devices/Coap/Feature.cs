namespace Gateway.Devices.Coap;

/// <summary>The feature segment of <c>/api/v1/{token}/{feature}</c> (ThingsBoard's <c>FeatureType</c>, case-insensitive).</summary>
internal static class Feature
{
    public enum Kind : byte { Unknown, Telemetry, Attributes, Rpc, Claim, Firmware, Software }

    // Compared in place: an upper-cased copy per request was most of the strings a telemetry POST allocated.
    public static Kind Parse(string segment) =>
        Is(segment, "telemetry") ? Kind.Telemetry
        : Is(segment, "attributes") ? Kind.Attributes
        : Is(segment, "rpc") ? Kind.Rpc
        : Is(segment, "claim") ? Kind.Claim
        : Is(segment, "firmware") ? Kind.Firmware
        : Is(segment, "software") ? Kind.Software
        : Kind.Unknown;

    private static bool Is(string segment, string name) => segment.Equals(name, StringComparison.OrdinalIgnoreCase);
}
