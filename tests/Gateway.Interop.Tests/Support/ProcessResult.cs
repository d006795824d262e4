namespace Gateway.Interop.Tests.Support;

/// <summary>What a peer process did: its command line, exit code (null when it had to be killed) and output.</summary>
public sealed record ProcessResult(string CommandLine, int? ExitCode, string StandardOutput, string StandardError, bool TimedOut)
{
    /// <summary>Both streams, for peers that print their traces to either one.</summary>
    public string AllOutput => StandardOutput + "\n" + StandardError;

    /// <summary>Everything a failing assertion should show, so a red test explains itself.</summary>
    public string Describe() =>
        $"$ {CommandLine}\nexit: {(TimedOut ? "killed after timeout" : ExitCode?.ToString(System.Globalization.CultureInfo.InvariantCulture))}\n" +
        $"--- stdout ---\n{StandardOutput}\n--- stderr ---\n{StandardError}";
}
