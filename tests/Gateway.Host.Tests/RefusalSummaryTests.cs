using System.Text;
using Gateway.Host.Tests.Support;

namespace Gateway.Host.Tests;

/// <summary>
/// Issue 20.10 end to end: a device request the running gateway refuses leaves a summary line in its log at the
/// default level (interval shortened through <c>Gateway:RefusalLogIntervalSeconds</c>), naming the reason and the
/// source, never the token.
/// </summary>
public sealed class RefusalSummaryTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task BadJsonPost_OverHttp_IsSummarisedAtTheDefaultLevel_WithoutTheToken()
    {
        var data = _dir.Combine("data");
        const string Token = "REFUSAL_TEST_TOKEN_42";
        var added = await GatewayExecutable.RunAsync(_dir.Path, ["devices", "add", "Dev A", "--token", Token, "--data-dir", data]);
        Assert.True(added.ExitCode == 0, added.ToString());

        await using var gateway = await RunningGateway.StartAsync(data, ["--Gateway:RefusalLogIntervalSeconds=1"]);
        using var http = new HttpClient { BaseAddress = gateway.HttpBase, Timeout = TimeSpan.FromSeconds(10) };
        using (var response = await http.PostAsync($"api/v1/{Token}/telemetry", new StringContent("{\"temperature\":", Encoding.UTF8, "application/json")))
        {
            Assert.Equal(400, (int)response.StatusCode);
        }

        const string Expected = "Refused 1 device requests in the last 1 s: malformed JSON payload (4.00 / HTTP 400); first from 127.0.0.1";
        for (int i = 0; i < 100 && !gateway.Output.Contains(Expected, StringComparison.Ordinal); i++) await Task.Delay(100);
        Assert.True(gateway.Output.Contains(Expected, StringComparison.Ordinal), gateway.ToString());
        Assert.DoesNotContain(Token, gateway.Output, StringComparison.Ordinal);
    }
}
