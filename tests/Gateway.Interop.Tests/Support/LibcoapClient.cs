namespace Gateway.Interop.Tests.Support;

/// <summary>
/// libcoap's <c>coap-client-notls</c>. It exits 0 even on 4.xx/5.xx and prints an error code such
/// as <c>4.04 Not Found</c> to stderr, so tests read codes from stderr or from a <c>-v 6</c> trace.
/// </summary>
public static class LibcoapClient
{
    /// <summary>Runs the client with <c>-B 5</c> so it gives up on its own well before our 10 s bound.</summary>
    public static Task<ProcessResult> RunAsync(params string[] arguments) =>
        ProcessRunner.RunAsync(Peers.LibcoapClient, ["-B", "5", .. arguments]);

    /// <summary>Runs with <c>-v 6</c> and returns the result with the traced response(s).</summary>
    public static async Task<(ProcessResult Result, IReadOnlyList<LibcoapMessage> Responses)> TraceAsync(params string[] arguments)
    {
        var result = await RunAsync(["-v", "6", .. arguments]);
        return (result, LibcoapMessage.Responses(result.AllOutput));
    }

    /// <summary>The <c>c.dd</c> code libcoap printed to stderr for an error response, or null.</summary>
    public static string? ErrorCode(ProcessResult result)
    {
        var match = System.Text.RegularExpressions.Regex.Match(result.StandardError, @"\b([45]\.\d\d)\b");
        return match.Success ? match.Groups[1].Value : null;
    }
}
