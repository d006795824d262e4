using System.Diagnostics;
using System.Text;
using Gateway.Host.Tests.Support;
using Gateway.TestKit;

namespace Gateway.Host.Tests;

/// <summary>
/// Log lines go to standard output, which can stall (journald under pressure, a pipe nobody drains). The console
/// logger's queue then fills; a full queue must drop lines and count them, never block the thread that logs, which
/// may be the one answering devices.
/// </summary>
public sealed class StalledLogOutputTests : IDisposable
{
    private const string Token = "STALLED_LOG_TEST_TOKEN";
    // Each bad POST logs one Debug line of ~150 bytes: enough to fill a 64 KiB pipe and the logger's 2,500-line queue twice.
    private const int Requests = 8_000;

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task StdoutNobodyReads_RequestsStillAnswered_DroppedLinesCounted()
    {
        var data = _dir.Combine("data");
        Directory.CreateDirectory(data);
        var added = await GatewayExecutable.RunAsync(_dir.Path, ["devices", "add", "Dev A", "--token", Token, "--data-dir", data]);
        Assert.True(added.ExitCode == 0, added.ToString());

        int httpPort = FreePort.Tcp();
        var start = GatewayExecutable.StartInfo(_dir.Path,
            ["run", $"--Coap:Port={FreePort.Udp()}", "--Coap:Address=127.0.0.1", $"--Http:Port={httpPort}", "--data-dir", data,
             "--Logging:LogLevel:Default=Debug"]);
        using var process = Process.Start(start)!;
        try
        {
            // Nothing reads the gateway's stdout or stderr until the requests are done.
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}/"), Timeout = TimeSpan.FromSeconds(10) };
            await WaitHealthyAsync(http, process);
            for (int i = 0; i < Requests; i++)
            {
                using var body = new StringContent("{\"temperature\":", Encoding.UTF8, "application/json");
                // Wait mode: the request thread blocks in the logger once the pipe and the queue are full, and this times out.
                using var response = await http.PostAsync($"api/v1/{Token}/telemetry", body);
                Assert.True((int)response.StatusCode == 400, $"request {i}: {(int)response.StatusCode}");
            }

            // Now the output is read: the console says how many lines it dropped (with the next line that finds room).
            var output = new StringBuilder();
            process.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
            process.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            const string Dropped = "message(s) dropped because of queue size limit";
            var deadline = Stopwatch.StartNew();
            while (!Contains(output, Dropped) && deadline.Elapsed < TimeSpan.FromSeconds(30))
            {
                using var body = new StringContent("{\"temperature\":", Encoding.UTF8, "application/json");
                using var response = await http.PostAsync($"api/v1/{Token}/telemetry", body);
                await Task.Delay(50);
            }
            Assert.True(Contains(output, Dropped), "no count of dropped lines in the output");
            Kill(process.Id, 15);
            Assert.True(process.WaitForExit(15_000), "the gateway did not stop on SIGTERM");
            Assert.Equal(0, process.ExitCode);
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
    }

    private static bool Contains(StringBuilder output, string text)
    {
        lock (output) return output.ToString().Contains(text, StringComparison.Ordinal);
    }

    private static async Task WaitHealthyAsync(HttpClient http, Process process)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(20) && !process.HasExited)
        {
            try
            {
                using var response = await http.GetAsync("healthz");
                if (response.IsSuccessStatusCode) return;
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(100);
        }
        throw new InvalidOperationException("The gateway did not become healthy.");
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
