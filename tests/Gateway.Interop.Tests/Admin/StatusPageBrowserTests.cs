using System.Diagnostics;
using System.Globalization;
using System.Net.Http;
using System.Text.Json.Nodes;
using Gateway.Interop.Tests.EndToEnd;
using Gateway.Interop.Tests.Support;
using Gateway.TestKit;

namespace Gateway.Interop.Tests.Admin;

/// <summary>
/// Issue 19: the status page in a real headless chromium, against the real gateway and mosquitto. The
/// page loads with no console error and no request to another origin; its figures are those of
/// <c>coap-gateway status --json</c>; telemetry posted while the broker is down makes the backlog figure
/// and graph rise, and they fall once the broker is back; the device that posted is in the table; no
/// device credential is ever on the page or in <c>/api/status</c>.
/// </summary>
public sealed class StatusPageBrowserTests : IAsyncLifetime
{
    private const int Posts = 12;
    private const string PskKey = "page-test-psk-key-91";
    private static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(45);
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), $"coapgw-admin-page-{Guid.NewGuid():N}");
    private readonly CloudSide _cloud = new(listening: false);
    private readonly int _adminPort = FreePort.Tcp();
    private GatewayProcess? _gateway;
    private HeadlessChromium? _browser;

    public Task InitializeAsync() => Task.CompletedTask;

    [ChromiumFact]
    public async Task Page_ShowsTheStatusFigures_BacklogRisesWhileTheBrokerIsDownAndFallsAfter()
    {
        var token = await CloudSide.AddDeviceAsync(_dataDir, "Page Sensor");
        await CloudSide.AddDeviceAsync(_dataDir, "Psk Sensor", "--psk-identity", "psk-sensor-id", "--psk-key", PskKey);
        _gateway = await GatewayProcess.StartAsync(_dataDir, _cloud.GatewayArguments("gateway-admin-page",
            "--Admin:Enabled=true", $"--Admin:Port={_adminPort.ToString(CultureInfo.InvariantCulture)}", "--Admin:SampleSeconds=1", "--Gateway:StatusIntervalSeconds=1"));
        _cloud.Diagnostics = () => _gateway.Output;
        await _gateway.WaitForOutputAsync("Admin status page on");
        var origin = $"http://127.0.0.1:{_adminPort.ToString(CultureInfo.InvariantCulture)}";

        _browser = await HeadlessChromium.StartAsync();
        // Page.navigate answers before the document exists: every read below tolerates an empty page until the first poll.
        await _browser.NavigateAsync(origin + "/?poll=1");
        await WaitForAsync("the first poll", async () => await PollsAsync() >= 1);
        Assert.Equal("down", await TextAsync("link-state"));

        for (var seq = 0; seq < Posts; seq++)
        {
            var (result, responses) = await LibcoapClient.TraceAsync("-m", "post", "-e", $$"""{"seq":{{seq}}}""", $"coap://127.0.0.1:{_gateway.Port}/api/v1/{token}/telemetry");
            Assert.True(responses.Any(r => r.Code == "2.01"), $"#{seq}: {result.Describe()}\n{_gateway.Output}");
        }

        // Backlog up: the figure, and the graph's newest point.
        await WaitForAsync($"the backlog figure to reach {Posts}", async () => await ValueAsync("queue-depth") >= Posts);
        await WaitForAsync($"the backlog graph to reach {Posts}", async () => (await ChartAsync("chart-depth")).LastOrDefault() >= Posts);

        // Same figures as the CLI: read it, let the page poll once more, compare (nothing moves while the broker is down).
        var cli = await StatusJsonAsync();
        var polls = await PollsAsync();
        await WaitForAsync("another poll", async () => await PollsAsync() > polls);
        Assert.Equal((long)cli["queue"]!["depth"]!, await ValueAsync("queue-depth"));
        Assert.Equal((long)cli["queue"]!["bytes"]!, await ValueAsync("queue-bytes"));
        Assert.Equal((long)cli["queue"]!["drops"]!, await ValueAsync("queue-drops"));
        Assert.Equal((long)cli["queue"]!["deadLetters"]!, await ValueAsync("queue-dead"));
        Assert.Equal((long)cli["devices"]!["total"]!, await ValueAsync("devices-total"));
        Assert.Equal((string)cli["link"]!["state"]!, await TextAsync("link-state"));
        Assert.Equal((string)cli["service"]!["version"]!, await TextAsync("version"));

        // The device that just posted, with its messages and a last-seen time; filtering keeps it and hides the other.
        var row = await _browser.EvaluateAsync("""(() => { const r = document.querySelector('#devices tr[data-name="Page Sensor"]'); return r && [...r.cells].map(c => c.dataset.value ?? c.textContent); })()""");
        Assert.NotNull(row);
        // Its rows: the posts, and the connect row the gateway queues for a device's first request (thingsboard.md §4.5).
        Assert.Equal(Posts + 1, long.Parse((string)row![4]!, CultureInfo.InvariantCulture));
        Assert.False(string.IsNullOrEmpty((string?)row[3]), row.ToJsonString());
        var shown = await _browser.EvaluateAsync("""(() => { const f = document.getElementById('filter'); f.value = 'page'; f.dispatchEvent(new Event('input')); return [...document.querySelectorAll('#devices tbody tr')].map(r => r.dataset.name); })()""");
        Assert.Equal(["Page Sensor"], shown!.AsArray().Select(n => (string?)n));

        // Broker back: the backlog drains; the figure reaches 0 and the graph falls from its peak to 0.
        _cloud.StartBroker();
        await WaitForAsync("the backlog figure to fall to 0", async () => await ValueAsync("queue-depth") == 0);
        await WaitForAsync("the backlog graph to fall to 0", async () => (await ChartAsync("chart-depth")) is [.., var lastPoint] && lastPoint == 0);
        Assert.True((await ChartAsync("chart-depth")).Max() >= Posts, "the graph lost its peak");
        await WaitForAsync("the link to show up", async () => await TextAsync("link-state") == "up");

        // No secret anywhere: not on the page, not in the API.
        var html = (string)(await _browser.EvaluateAsync("document.documentElement.outerHTML"))!;
        using var http = new HttpClient();
        var api = await http.GetStringAsync(new Uri(origin + "/api/status"));
        foreach (var secret in new[] { token, PskKey })
        {
            Assert.DoesNotContain(secret, html, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, api, StringComparison.Ordinal);
        }

        Assert.Empty(_browser.Errors());
        var requests = _browser.RequestUrls();
        Assert.NotEmpty(requests);
        Assert.All(requests, url => Assert.True(url.StartsWith(origin + "/", StringComparison.Ordinal) || url.StartsWith("data:", StringComparison.Ordinal), $"request to another origin: {url}"));

        // GATEWAY_TESTS_SCREENSHOT=path keeps a picture of the page as the test left it (README's docs/status-page.png).
        if (Environment.GetEnvironmentVariable("GATEWAY_TESTS_SCREENSHOT") is { Length: > 0 } screenshot)
        {
            await _browser.EvaluateAsync("""(() => { const f = document.getElementById('filter'); f.value = ''; f.dispatchEvent(new Event('input')); })()""");
            await File.WriteAllBytesAsync(screenshot, await _browser.ScreenshotAsync());
        }
    }

    private async Task<long> PollsAsync() => long.TryParse((string?)await _browser!.EvaluateAsync("(document.body && document.body.dataset.polls) || '0'"), out var n) ? n : 0;

    private async Task<string?> TextAsync(string id) => (string?)await _browser!.EvaluateAsync($"document.getElementById('{id}').textContent");

    private async Task<long> ValueAsync(string id) =>
        long.TryParse((string?)await _browser!.EvaluateAsync($"document.getElementById('{id}').dataset.value || ''"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : -1;

    private async Task<double[]> ChartAsync(string id)
    {
        var text = (string?)await _browser!.EvaluateAsync($"document.getElementById('{id}').dataset.values || ''") ?? "";
        return [.. text.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(v => double.Parse(v, CultureInfo.InvariantCulture))];
    }

    private async Task<JsonNode> StatusJsonAsync()
    {
        var result = await ProcessRunner.RunAsync("dotnet", [GatewayProcess.AssemblyPath, "status", "--json", $"--data-dir={_dataDir}"], TimeSpan.FromSeconds(30));
        Assert.True(result.ExitCode == 0, result.Describe());
        return JsonNode.Parse(result.StandardOutput)!;
    }

    private async Task WaitForAsync(string what, Func<Task<bool>> condition)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < WaitLimit)
        {
            if (await condition()) return;
            await Task.Delay(200);
        }
        var page = _browser is null ? "" : (string?)await _browser.EvaluateAsync("document.body.innerText");
        Assert.Fail($"timed out after {WaitLimit.TotalSeconds} s waiting for {what}\n--- page ---\n{page}\n--- browser errors ---\n{string.Join('\n', _browser?.Errors() ?? [])}\n--- gateway ---\n{_gateway?.Output}");
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null) await _browser.DisposeAsync();
        if (_gateway is not null) await _gateway.DisposeAsync();
        _cloud.Dispose();
        try { Directory.Delete(_dataDir, recursive: true); } catch (IOException) { }
    }
}
