using System.Text.RegularExpressions;

namespace Gateway.Interop.Tests.Support;

/// <summary>A structural check of CoRE Link Format text (RFC 6690 §2): comma-separated <c>&lt;uri&gt;;attr…</c> links.</summary>
public static partial class LinkFormatText
{
    // link = "<" URI-Reference ">" *( ";" link-param ), param values bare or quoted (no commas outside quotes here).
    [GeneratedRegex(@"^<[^<>,]*>(;[a-zA-Z][a-zA-Z0-9!#$&+\-.^_`|~*]*(=(""[^""]*""|[^;,""]+))?)*$")]
    private static partial Regex Link();

    /// <summary>Whether <paramref name="text"/> is a (possibly empty) link list.</summary>
    public static bool IsValid(string text) => text.Length == 0 || text.Split(',').All(link => Link().IsMatch(link));

    /// <summary>The target paths of the links, in order.</summary>
    public static IReadOnlyList<string> Targets(string text) =>
        text.Length == 0 ? [] : [.. text.Split(',').Select(link => link[1..link.IndexOf('>', StringComparison.Ordinal)])];
}
