using System.Diagnostics;
using System.Text;

namespace Gateway.Host.Tests.Support;

/// <summary>
/// The real <c>coap-gateway</c> (copied next to the tests by the project reference), run as
/// <c>dotnet coap-gateway.dll …</c> in a working directory the test chooses, with an environment
/// free of the caller's <c>COAPGW_</c>, <c>NOTIFY_SOCKET</c> and <c>STATE_DIRECTORY</c>.
/// </summary>
public static class GatewayExecutable
{
    public static string AssemblyPath
    {
        get
        {
            var path = Path.Combine(AppContext.BaseDirectory, "coap-gateway.dll");
            if (!File.Exists(path)) throw new InvalidOperationException($"{path} is missing: the test project must reference gateway/Gateway.Host.");
            return path;
        }
    }

    public static ProcessStartInfo StartInfo(string workingDirectory, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory,
        };
        start.ArgumentList.Add(AssemblyPath);
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        foreach (var key in start.Environment.Keys.ToList())
        {
            if (key.StartsWith("COAPGW_", StringComparison.Ordinal) || key is "NOTIFY_SOCKET" or "WATCHDOG_USEC" or "WATCHDOG_PID" or "STATE_DIRECTORY")
                start.Environment.Remove(key);
        }
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        // Parallel gateways cannot all listen on the admin page's port 8081; a test of the page turns it on with --Admin:Enabled=true.
        start.Environment["COAPGW_Admin__Enabled"] = "false";
        if (environment is not null) foreach (var (key, value) in environment) start.Environment[key] = value;
        return start;
    }

    /// <summary>Runs a command to completion (bounded) and returns its output and exit code.</summary>
    public static async Task<CliResult> RunAsync(string workingDirectory, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null, TimeSpan? timeout = null)
    {
        var start = StartInfo(workingDirectory, arguments, environment);
        var commandLine = string.Join(' ', start.ArgumentList.Skip(1));
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"coap-gateway {commandLine} did not finish\n{await stdout}{await stderr}");
        }
        return new CliResult(commandLine, process.ExitCode, await stdout, await stderr);
    }

    /// <summary>
    /// Starts a long-running command, collecting its output lines; with <paramref name="readOutput"/> false nothing reads
    /// them until the caller calls <see cref="Process.BeginOutputReadLine"/> and <see cref="Process.BeginErrorReadLine"/>.
    /// </summary>
    public static Process Launch(string workingDirectory, IEnumerable<string> arguments, StringBuilder output, IReadOnlyDictionary<string, string>? environment = null, bool readOutput = true)
    {
        var process = new Process { StartInfo = StartInfo(workingDirectory, arguments, environment) };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.Start();
        if (readOutput)
        {
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }
        return process;
    }
}
