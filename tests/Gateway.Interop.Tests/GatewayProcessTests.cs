using System.Text;
using Gateway.Interop.Tests.Support;

namespace Gateway.Interop.Tests;

/// <summary>The real executable's life cycle: it answers once started, stops cleanly on SIGTERM, rejects bad options.</summary>
public sealed class GatewayProcessTests
{
    [Fact]
    public async Task Gateway_Sigterm_ExitsZero()
    {
        var gateway = await GatewayProcess.StartAsync();
        await using (gateway)
        {
            Assert.False(gateway.HasExited);
            int? exitCode = await gateway.StopAsync();
            Assert.True(exitCode == 0, $"exit code {exitCode?.ToString() ?? "none (killed after 10 s)"} after SIGTERM\n{gateway.Output}");
        }
    }

    // Issue 20.12: a child's log belongs in its test's failure message, not in the test run's output.
    [Fact]
    public async Task ChildLog_IsKeptForFailureMessages_NotWrittenToTheTestRunsConsole()
    {
        string dataDir = Path.Combine(Path.GetTempPath(), $"coapgw-quiet-{Guid.NewGuid():N}");
        var console = new StringWriter();
        var original = Console.Out;
        Console.SetOut(TextWriter.Synchronized(console));
        try
        {
            await using var gateway = await GatewayProcess.StartAsync(dataDir);
            Assert.Equal(0, await gateway.StopAsync());
            Assert.Contains(dataDir, gateway.Output, StringComparison.Ordinal); // "Storage open: <dir>/gateway.db"
        }
        finally
        {
            Console.SetOut(original);
            try { Directory.Delete(dataDir, recursive: true); } catch (IOException) { }
        }
        Assert.DoesNotContain(dataDir, console.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Gateway_PortOutOfRange_PrintsOneLineNamingTheKeyAndExitsTwo()
    {
        var output = new StringBuilder();
        using var process = GatewayProcess.Launch(["run", "--Coap:Port=70000"], output);
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"coap-gateway with --Coap:Port=70000 still ran after 10 s\n{output}");
        }
        process.WaitForExit(); // flushes the asynchronous output readers
        Assert.Equal(2, process.ExitCode);
        Assert.Contains("coap-gateway: Coap:Port: 70000 is not a port", output.ToString(), StringComparison.Ordinal);
    }
}
