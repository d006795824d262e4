using System.Text.Json;

namespace Gateway.Bridge.Limits;

/// <summary>
/// Counts the data points (key-value pairs) of a telemetry payload the way ThingsBoard's rate
/// limiter does (thingsboard.md §1.2, §4.1): the members of each <c>values</c> object of the ts
/// form, or of the plain object; an array adds its elements up.
/// </summary>
public static class DataPoints
{
    /// <summary>Data points of one validated telemetry row; 0 for what is not telemetry-shaped.</summary>
    public static int Count(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            using var document = JsonDocument.ParseValue(ref reader);
            return Count(document.RootElement);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return 0;
        }
    }

    private static int Count(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Array:
                int sum = 0;
                foreach (var item in element.EnumerateArray()) sum += Count(item);
                return sum;
            case JsonValueKind.Object:
                // §1.2: the ts form only when both members are there, else "ts" is an ordinary key.
                if (element.TryGetProperty("ts", out _) && element.TryGetProperty("values", out var values) && values.ValueKind == JsonValueKind.Object)
                    return values.EnumerateObject().Count();
                return element.EnumerateObject().Count();
            default:
                return 0;
        }
    }
}
