namespace Gateway.Devices.ThingsBoard;

/// <summary>Values that share one timestamp (Unix ms): one <c>{"ts":…,"values":{…}}</c> entry upstream.</summary>
public sealed record TelemetryRecord(long Ts, IReadOnlyList<KeyValue> Values);
