using System.Text;

namespace Gateway.Host.Metrics;

/// <summary>Name conversions for the Prometheus exposition.</summary>
internal static class Names
{
    /// <summary><c>QueueFull</c> → <c>queue_full</c>.</summary>
    public static string Snake(string pascal)
    {
        var text = new StringBuilder(pascal.Length + 4);
        for (var i = 0; i < pascal.Length; i++)
        {
            if (char.IsUpper(pascal[i]) && i > 0) text.Append('_');
            text.Append(char.ToLowerInvariant(pascal[i]));
        }
        return text.ToString();
    }

    /// <summary>A metric or label name: characters outside <c>[a-zA-Z0-9_]</c> become <c>_</c>, and a leading digit gets a <c>_</c>.</summary>
    public static string Sanitize(string name)
    {
        var text = new StringBuilder(name.Length + 1);
        if (name.Length == 0 || char.IsAsciiDigit(name[0])) text.Append('_');
        foreach (var c in name) text.Append(char.IsAsciiLetterOrDigit(c) || c == '_' ? c : '_');
        return text.ToString();
    }
}
