using System.Diagnostics;
using System.Text;
using Gateway.Host.Tests.Support;

namespace Gateway.Host.Tests;

/// <summary>
/// Log lines go to standard output, which can stall (journald under pressure, a pipe nobody drains). The console
/// logger's queue then fills; a full queue must drop lines and count them, never block the thread that logs, which
/// may be the one answering devices.
/// </summary>
public sealed class StalledLogOutputTests : IDisposable
{
    private const string Token = "STALLED_LOG_TEST_TOKEN";
    private const string Dropped = "message(s) dropped because of queue size limit";
    // Each bad POST logs one Debug line of ~150 bytes: enough to fill a 64 KiB pipe and the logger's 2,500-line queue twice.
    private const int Requests = 8_000;

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task StdoutNobodyReads_RequestsStillAnswered_DroppedLinesCounted()
    {
        var data = _dir.Combine("data");
        var added = await GatewayExecutable.RunAsync(_dir.Path, ["devices", "add", "Dev A", "--token", Token, "--data-dir", data]);
        Assert.True(added.ExitCode == 0, added.ToString());

        // Nothing reads the gateway's stdout or stderr until the requests are done.
        await using var gateway = await RunningGateway.StartAsync(data, ["--Logging:LogLevel:Default=Debug"], readOutput: false);
        using var http = new HttpClient { BaseAddress = gateway.HttpBase, Timeout = TimeSpan.FromSeconds(10) };
        for (int i = 0; i < Requests; i++)
        {
            // Wait mode: the request thread blocks in the logger once the pipe and the queue are full, and this times out.
            Assert.True(await PostBadJsonAsync(http) == 400, $"request {i} was not answered 400");
        }

        // Now the output is read: the console says how many lines it dropped (with the next line that finds room).
        gateway.ReadOutput();
        var deadline = Stopwatch.StartNew();
        while (!gateway.Output.Contains(Dropped, StringComparison.Ordinal) && deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            await PostBadJsonAsync(http);
            await Task.Delay(50);
        }
        Assert.True(gateway.Output.Contains(Dropped, StringComparison.Ordinal), "no count of dropped lines in the output");
        Assert.Equal(0, await gateway.StopAsync());
    }

    private static async Task<int> PostBadJsonAsync(HttpClient http)
    {
        using var body = new StringContent("{\"temperature\":", Encoding.UTF8, "application/json");
        using var response = await http.PostAsync($"api/v1/{Token}/telemetry", body);
        return (int)response.StatusCode;
    }
}
