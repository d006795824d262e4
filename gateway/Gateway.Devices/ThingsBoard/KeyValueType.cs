namespace Gateway.Devices.ThingsBoard;

/// <summary>ThingsBoard's key-value types (reference/thingsboard.md §1.1).</summary>
public enum KeyValueType : byte
{
    String,
    Boolean,
    Long,
    Double,
    /// <summary>A nested object or array, kept as JSON.</summary>
    Json,
}
