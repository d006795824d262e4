using System.Text.RegularExpressions;

namespace Gateway.Interop.Tests.Support;

/// <summary>
/// npm's coap-cli 0.7.1. It prints the status as <c>ESC[1m(2.05)ESC[0m</c> on stderr, the payload
/// plus a newline on stdout, and exits 0 even on 4.xx. Its URL handling keeps the brackets of an
/// IPv6 literal and hands <c>[::1]</c> to getaddrinfo, so it can only reach IPv4 or names.
/// </summary>
public static partial class CoapCli
{
    [GeneratedRegex(@"\x1b\[[0-9;]*[A-Za-z]")]
    private static partial Regex AnsiEscape();

    [GeneratedRegex(@"\((\d\.\d\d)\)")]
    private static partial Regex Status();

    public static Task<ProcessResult> RunAsync(params string[] arguments) =>
        ProcessRunner.RunAsync(Peers.CoapCli, arguments);

    public static string StripAnsi(string text) => AnsiEscape().Replace(text, "");

    /// <summary>The <c>c.dd</c> status the CLI printed, or null.</summary>
    public static string? Code(ProcessResult result) =>
        Status().Match(StripAnsi(result.StandardError + result.StandardOutput)) is { Success: true } m ? m.Groups[1].Value : null;

    /// <summary>The payload without the newline the CLI appends.</summary>
    public static string Payload(ProcessResult result)
    {
        string text = StripAnsi(result.StandardOutput);
        return text.EndsWith('\n') ? text[..^1] : text;
    }
}
