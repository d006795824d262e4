using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace Gateway.Host.Configuration;

/// <summary>
/// Turns what options binding and validation throw into one line per problem, each naming the key
/// (<c>Storage:MaxAge: 'soon' is not a valid TimeSpan</c>), instead of a stack trace.
/// </summary>
public static partial class StartupProblems
{
    /// <summary>The lines for a configuration failure, or none if <paramref name="exception"/> is something else.</summary>
    public static IReadOnlyList<string> Describe(Exception exception)
    {
        var lines = new List<string>();
        Collect(exception, lines);
        return lines;
    }

    private static void Collect(Exception exception, List<string> lines)
    {
        switch (exception)
        {
            case AggregateException aggregate:
                foreach (var inner in aggregate.InnerExceptions) Collect(inner, lines);
                break;
            case OptionsValidationException validation:
                lines.AddRange(validation.Failures);
                break;
            case ConfigurationException configuration:
                lines.Add(configuration.Message);
                break;
            case InvalidOperationException conversion when BindingFailure().Match(conversion.Message) is { Success: true } match:
                var type = match.Groups["type"].Value;
                type = type[(type.LastIndexOf('.') + 1)..];
                var value = match.Groups["value"].Success ? $"'{match.Groups["value"].Value}'" : "the value";
                lines.Add($"{match.Groups["key"].Value}: {value} is not a valid {type}");
                break;
        }
    }

    // Microsoft.Extensions.Configuration.Binder's message (with or without the value, depending on the version).
    [GeneratedRegex("Failed to convert configuration value (?:'(?<value>.*)' )?at '(?<key>[^']*)' to type '(?<type>[^']*)'")]
    private static partial Regex BindingFailure();
}
