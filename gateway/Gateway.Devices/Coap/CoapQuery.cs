namespace Gateway.Devices.Coap;

/// <summary>ThingsBoard's query parsing for attribute keys (<c>CoapAdaptorUtils.toKeys</c>, thingsboard.md §2.3).</summary>
internal static class CoapQuery
{
    /// <summary>
    /// The keys of the last <c>name=a,b</c> argument: an argument counts only if splitting on '=' gives
    /// exactly two parts; the list splits on ',' dropping trailing empties (Java's <c>String.split</c>).
    /// Null when absent or empty.
    /// </summary>
    public static IReadOnlyCollection<string>? Keys(IReadOnlyList<string> query, string name)
    {
        string? keys = null;
        foreach (var argument in query)
        {
            var parts = JavaSplit(argument, '=');
            if (parts.Count == 2 && parts[0] == name) keys = parts[1];
        }
        if (string.IsNullOrEmpty(keys)) return null;
        return new HashSet<string>(JavaSplit(keys, ','), StringComparer.Ordinal);
    }

    private static List<string> JavaSplit(string text, char separator)
    {
        var parts = text.Split(separator).ToList();
        while (parts.Count > 1 && parts[^1].Length == 0) parts.RemoveAt(parts.Count - 1);
        if (parts.Count == 1 && parts[0].Length == 0 && text.Length > 0) parts.Clear(); // "=" alone splits to nothing
        return parts;
    }
}
