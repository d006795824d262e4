namespace Gateway.Devices.ThingsBoard;

/// <summary>
/// One typed key-value as ThingsBoard's <c>JsonConverter</c> would store it (thingsboard.md §1.1).
/// <paramref name="Json"/> is the value as compact JSON text written so that ThingsBoard parses it
/// back to the same type upstream: a double always carries a '.' or a negative exponent (<c>42.0</c>,
/// not <c>42</c>, which would become a LONG), a cast string becomes a bare number.
/// </summary>
public readonly record struct KeyValue(string Key, KeyValueType Type, string Json);
