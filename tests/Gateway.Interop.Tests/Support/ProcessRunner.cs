using System.Diagnostics;

namespace Gateway.Interop.Tests.Support;

/// <summary>Runs a peer command to completion with a bounded wait, capturing both output streams.</summary>
public static class ProcessRunner
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    public static async Task<ProcessResult> RunAsync(string fileName, IEnumerable<string> arguments, TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo(fileName)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        string commandLine = string.Join(' ', [fileName, .. start.ArgumentList]);

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {commandLine}");
        // coap-cli reads a PUT/POST body from stdin when -p is missing: give it an empty one, never the test host's.
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();

        bool timedOut = false;
        using (var limit = new CancellationTokenSource(timeout ?? DefaultTimeout))
        {
            try
            {
                await process.WaitForExitAsync(limit.Token);
            }
            catch (OperationCanceledException)
            {
                timedOut = true;
                process.Kill(entireProcessTree: true);
            }
        }
        if (timedOut)
        {
            // SIGKILL cannot be ignored, so this wait is short; it is bounded anyway.
            using var reap = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try { await process.WaitForExitAsync(reap.Token); } catch (OperationCanceledException) { }
        }
        return new ProcessResult(commandLine, timedOut ? null : process.ExitCode, await WithLimit(stdout), await WithLimit(stderr), timedOut);
    }

    // A grandchild that inherited the pipe could keep it open after a kill; never hang on it.
    private static async Task<string> WithLimit(Task<string> read)
    {
        var done = await Task.WhenAny(read, Task.Delay(TimeSpan.FromSeconds(5)));
        return done == read ? await read : "<output not closed>";
    }
}
