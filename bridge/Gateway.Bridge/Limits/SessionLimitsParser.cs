using System.Globalization;
using System.Text.Json;

namespace Gateway.Bridge.Limits;

/// <summary>
/// Reads ThingsBoard's answer to the client-side RPC <c>getSessionLimits</c> (thingsboard.md §4.1):
/// <c>{"maxPayloadSize":65536,"maxInflightMessages":100,"rateLimits":{"messages":"100:1,1000:60",
/// "telemetryMessages":"…","telemetryDataPoints":"…"},"gatewayRateLimits":{…}}</c>. Pure: bytes in,
/// limits or a one-line error out, never an exception. A missing member, an empty string or a window
/// with a zero capacity or period (the Python gateway's <c>"0:0,"</c>) means no limit; a trailing comma is
/// accepted. Anything else that is not an unsigned integer pair is an error, so a garbled answer
/// never turns into a wrong limit.
/// </summary>
public static class SessionLimitsParser
{
    private const int MaxWindows = 16;

    public static bool TryParse(ReadOnlySpan<byte> json, out SessionLimits limits, out string error)
    {
        limits = SessionLimits.None;
        try
        {
            // Parse, not ParseValue: trailing bytes after the object are an error too.
            using var document = JsonDocument.Parse(json.ToArray(), new JsonDocumentOptions { MaxDepth = 8 });
            return TryRead(document.RootElement, out limits, out error);
        }
        catch (JsonException e)
        {
            error = "not JSON: " + e.Message.ReplaceLineEndings(" ");
            return false;
        }
        catch (InvalidOperationException e)
        {
            // A string that is not valid UTF-8 surfaces when it is read (JsonElement.GetString).
            limits = SessionLimits.None;
            error = "not JSON: " + e.Message.ReplaceLineEndings(" ");
            return false;
        }
    }

    public static bool TryRead(JsonElement root, out SessionLimits limits, out string error)
    {
        limits = SessionLimits.None;
        if (root.ValueKind != JsonValueKind.Object)
        {
            error = "expected a JSON object";
            return false;
        }
        if (root.TryGetProperty("error", out var refused))
        {
            error = "the server answered an error: " + (refused.ValueKind == JsonValueKind.String ? refused.GetString() : refused.GetRawText());
            return false;
        }
        if (!TryCount(root, "maxPayloadSize", out var payload, out error)
            || !TryCount(root, "maxInflightMessages", out var inflight, out error)
            || !TrySet(root, "rateLimits", out var device, out error)
            || !TrySet(root, "gatewayRateLimits", out var gateway, out error))
            return false;
        limits = new SessionLimits(payload, inflight, device, gateway);
        return true;
    }

    /// <summary>
    /// <c>"100:1,1000:60"</c> → (100 per 1 s), (1000 per 60 s). Spaces around the parts are ignored;
    /// windows with a zero capacity or period are dropped (no limit).
    /// </summary>
    public static bool TryParseRate(string text, out IReadOnlyList<RateWindow> windows, out string error)
    {
        windows = [];
        error = "";
        var list = new List<RateWindow>();
        var parts = text.Split(',');
        for (int i = 0; i < parts.Length; i++)
        {
            var part = parts[i].Trim();
            if (part.Length == 0 && i == parts.Length - 1) break;  // "0:0," as the Python gateway writes it
            var colon = part.IndexOf(':');
            if (colon < 0 || !TryUnsigned(part.AsSpan(0, colon), out var capacity) || !TryUnsigned(part.AsSpan(colon + 1), out var seconds))
            {
                error = $"'{text}': '{part}' is not capacity:seconds";
                return false;
            }
            if (capacity == 0 || seconds == 0) continue;
            if (list.Count == MaxWindows)
            {
                error = $"'{text}': more than {MaxWindows} windows";
                return false;
            }
            list.Add(new RateWindow(capacity, seconds));
        }
        windows = list;
        return true;
    }

    private static bool TryUnsigned(ReadOnlySpan<char> text, out long value) =>
        long.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out value) && value <= int.MaxValue;

    private static bool TryCount(JsonElement root, string name, out int value, out string error)
    {
        value = 0;
        error = "";
        if (!root.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null) return true;
        if (element.ValueKind == JsonValueKind.Number && element.TryGetInt64(out var n) && n >= 0)
        {
            value = (int)Math.Min(n, int.MaxValue);
            return true;
        }
        error = $"{name}: {element.GetRawText()} is not a non-negative integer";
        return false;
    }

    private static bool TrySet(JsonElement root, string name, out RateLimitSet set, out string error)
    {
        set = RateLimitSet.None;
        error = "";
        if (!root.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null) return true;
        if (element.ValueKind != JsonValueKind.Object)
        {
            error = $"{name}: expected an object";
            return false;
        }
        if (!TryRates(element, name, "messages", out var messages, out error)
            || !TryRates(element, name, "telemetryMessages", out var telemetry, out error)
            || !TryRates(element, name, "telemetryDataPoints", out var dataPoints, out error))
            return false;
        set = new RateLimitSet(messages, telemetry, dataPoints);
        return true;
    }

    private static bool TryRates(JsonElement set, string setName, string name, out IReadOnlyList<RateWindow> windows, out string error)
    {
        windows = [];
        error = "";
        if (!set.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null) return true;
        if (element.ValueKind != JsonValueKind.String)
        {
            error = $"{setName}.{name}: expected a string like \"100:1,1000:60\"";
            return false;
        }
        if (TryParseRate(element.GetString()!, out windows, out var problem)) return true;
        error = $"{setName}.{name}: {problem}";
        return false;
    }
}
