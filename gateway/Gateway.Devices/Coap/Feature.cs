namespace Gateway.Devices.Coap;

/// <summary>The feature segment of <c>/api/v1/{token}/{feature}</c> (ThingsBoard's <c>FeatureType</c>, case-insensitive).</summary>
internal static class Feature
{
    public enum Kind : byte { Unknown, Telemetry, Attributes, Rpc, Claim, Firmware, Software }

    public static Kind Parse(string segment) => segment.ToUpperInvariant() switch
    {
        "TELEMETRY" => Kind.Telemetry,
        "ATTRIBUTES" => Kind.Attributes,
        "RPC" => Kind.Rpc,
        "CLAIM" => Kind.Claim,
        "FIRMWARE" => Kind.Firmware,
        "SOFTWARE" => Kind.Software,
        _ => Kind.Unknown,
    };
}
