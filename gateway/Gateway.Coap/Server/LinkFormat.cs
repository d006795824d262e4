using System.Text;

namespace Gateway.Coap.Server;

/// <summary>
/// CoRE Link Format (RFC 6690): serialises resources as <c>&lt;/path&gt;;rt="…";if="…";ct=…</c>
/// links and applies the single-parameter query filter of §4.1 (value with a trailing <c>*</c> is
/// a prefix match; <c>rt</c> and <c>if</c> match any of their space-separated values).
/// </summary>
public static class LinkFormat
{
    public static string Serialize(IEnumerable<CoapResource> resources)
    {
        var sb = new StringBuilder();
        foreach (var resource in resources)
        {
            if (sb.Length > 0) sb.Append(',');
            AppendLink(sb, resource);
        }
        return sb.ToString();
    }

    private static void AppendLink(StringBuilder sb, CoapResource resource)
    {
        var a = resource.Attributes;
        sb.Append('<').Append(resource.Path).Append('>');
        if (a.ResourceTypes.Count > 0) sb.Append(";rt=\"").Append(string.Join(' ', a.ResourceTypes)).Append('"');
        if (a.Interfaces.Count > 0) sb.Append(";if=\"").Append(string.Join(' ', a.Interfaces)).Append('"');
        // RFC 7252 §7.2.1: one ct value bare, several as a quoted space-separated list.
        if (a.ContentFormats.Count == 1) sb.Append(";ct=").Append(a.ContentFormats[0]);
        else if (a.ContentFormats.Count > 1) sb.Append(";ct=\"").Append(string.Join(' ', a.ContentFormats)).Append('"');
        if (a.MaximumSize is { } sz) sb.Append(";sz=").Append(sz);
        if (a.Title is { } title) sb.Append(";title=\"").Append(title.Replace("\"", "'", StringComparison.Ordinal)).Append('"');
        if (a.Observable) sb.Append(";obs");
    }

    /// <summary>Whether <paramref name="resource"/> passes a query argument such as <c>rt=temp*</c> (RFC 6690 §4.1).</summary>
    public static bool Matches(CoapResource resource, string query)
    {
        int eq = query.IndexOf('=', StringComparison.Ordinal);
        string name = eq < 0 ? query : query[..eq];
        string pattern = eq < 0 ? "" : query[(eq + 1)..];
        var a = resource.Attributes;
        return name switch
        {
            "href" => Match(resource.Path, pattern),
            "rt" => a.ResourceTypes.Any(v => Match(v, pattern)),
            "if" => a.Interfaces.Any(v => Match(v, pattern)),
            "ct" => a.ContentFormats.Any(v => Match(v.ToString(System.Globalization.CultureInfo.InvariantCulture), pattern)),
            "title" => a.Title is { } t && Match(t, pattern),
            "sz" => a.MaximumSize is { } sz && Match(sz.ToString(System.Globalization.CultureInfo.InvariantCulture), pattern),
            "obs" => a.Observable,
            _ => false, // §4.1: a filter on an attribute the link does not have excludes it
        };
    }

    private static bool Match(string value, string pattern) =>
        pattern.EndsWith('*') ? value.StartsWith(pattern[..^1], StringComparison.Ordinal) : value == pattern;
}
