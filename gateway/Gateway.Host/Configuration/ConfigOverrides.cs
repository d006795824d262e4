namespace Gateway.Host.Configuration;

/// <summary>
/// Checks the tokens the command line parser did not recognise: each must be a configuration
/// override, <c>--Section:Key=value</c> or <c>--Section:Key value</c>. Anything else (a mistyped
/// subcommand, an unknown option) is a usage error rather than a silently ignored word.
/// </summary>
public static class ConfigOverrides
{
    /// <exception cref="ConfigurationException">A token is not a <c>--Section:Key</c> override.</exception>
    public static IReadOnlyList<string> Check(IReadOnlyList<string> tokens)
    {
        for (var i = 0; i < tokens.Count; i++)
        {
            var token = tokens[i];
            var key = token.StartsWith("--", StringComparison.Ordinal) ? token[2..].Split('=', 2)[0] : null;
            if (key is null || !key.Contains(':', StringComparison.Ordinal) || key.StartsWith(':') || key.EndsWith(':'))
            {
                throw new ConfigurationException($"unrecognized argument '{token}' (configuration overrides look like --Section:Key=value; see --help)");
            }
            if (!token.Contains('=', StringComparison.Ordinal))
            {
                if (i + 1 >= tokens.Count) throw new ConfigurationException($"{key}: missing value (use --{key}=value)");
                i++;
            }
        }
        return tokens;
    }
}
