using System.Diagnostics;
using System.Text;
using Gateway.Domain;
using Gateway.Storage.Downlinks;
using Gateway.Storage.Outbox;
using SignalKind = Gateway.Domain.DownlinkKind;
using QueueKind = Gateway.Storage.Downlinks.DownlinkKind;

namespace Gateway.Devices.Tests.Http;

/// <summary>
/// End to end with <c>curl</c> as the device, the way ThingsBoard's HTTP API docs drive it (seed 002). The cloud side
/// is played the way the bridge does it (store in the downlink queue / attribute cache, then raise
/// <see cref="IDownlinkSignal"/>): the MQTT bridge had not landed when this was written, so mosquitto is not in the loop.
/// </summary>
public sealed class CurlDeviceTests : IAsyncLifetime
{
    private readonly Support.Gateway _gateway = new();
    private HttpHost _host = null!;
    private string _token = "";

    public async Task InitializeAsync()
    {
        _host = await HttpHost.StartAsync(_gateway);
        _token = await _gateway.AddDeviceAsync("Dev A");
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        _gateway.Dispose();
    }

    /// <summary>Starts curl; its output ends with the status code on a line of its own.</summary>
    private Process Curl(params string[] arguments)
    {
        var start = new ProcessStartInfo("curl") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in (string[])["-sS", "--max-time", "30", "-w", "\n%{http_code}", .. arguments]) start.ArgumentList.Add(a);
        return Process.Start(start)!;
    }

    private static async Task<string> ResultAsync(Process curl)
    {
        using (curl)
        {
            var output = curl.StandardOutput.ReadToEndAsync();
            var error = curl.StandardError.ReadToEndAsync();
            await curl.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(40));
            Assert.True(curl.ExitCode == 0, $"curl exit {curl.ExitCode}: {await error}");
            var lines = (await output).Split('\n');
            return $"{lines[^1]} {string.Join('\n', lines[..^1])}";
        }
    }

    private string Url(string path) => new Uri(_host.BaseAddress, path).ToString();

    [Fact]
    public async Task Curl_Telemetry_Attributes_Claim()
    {
        Assert.Equal("200 ", await ResultAsync(Curl("-X", "POST", "-H", "Content-Type: application/json", "--data", """{"temperature":25}""", Url($"/api/v1/{_token}/telemetry"))));
        Assert.Equal("200 ", await ResultAsync(Curl("-X", "POST", "-H", "Content-Type: application/json", "--data", """{"firmwareVersion":"v1"}""", Url($"/api/v1/{_token}/attributes"))));
        Assert.Equal("""200 {"client":{"firmwareVersion":"v1"}}""", await ResultAsync(Curl(Url($"/api/v1/{_token}/attributes?clientKeys=firmwareVersion"))));
        Assert.Equal("200 ", await ResultAsync(Curl("-X", "POST", Url($"/api/v1/{_token}/claim"))));
        Assert.Equal("""400 {"error":"Malformed JSON."}""", await ResultAsync(Curl("-X", "POST", "--data", "{oops", Url($"/api/v1/{_token}/telemetry"))));
        Assert.Equal("401 ", await ResultAsync(Curl("-X", "POST", "--data", "{}", Url("/api/v1/not-a-token/telemetry"))));
        Assert.Equal(3, (await _gateway.RowTextsAsync()).Count(r => !r.StartsWith("DeviceConnect", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Curl_RpcLongPoll_RoundTrip()
    {
        var poll = Curl(Url($"/api/v1/{_token}/rpc?timeout=20000"));
        await _host.WaitForPollsAsync(1);
        await _gateway.Downlinks.EnqueueAsync("Dev A", QueueKind.RpcRequest, 42, """{"id":42,"method":"setGpio","params":{"pin":"23","value":1}}"""u8.ToArray(), TimeSpan.FromMinutes(1));
        _gateway.Signal.Notify(new DownlinkEvent("Dev A", SignalKind.Rpc));

        Assert.Equal("""200 {"id":42,"method":"setGpio","params":{"pin":"23","value":1}}""", await ResultAsync(poll));
        Assert.Equal("200 ", await ResultAsync(Curl("-X", "POST", "-H", "Content-Type: application/json", "--data", """{"result":"ok"}""", Url($"/api/v1/{_token}/rpc/42"))));

        Assert.Equal(["""RpcReply Dev A {"id":42,"data":{"result":"ok"}}"""], await _gateway.RowTextsAsync(OutboxMessageKind.RpcReply));
        Assert.DoesNotContain(await _gateway.Downlinks.PendingAsync("Dev A"), d => d.Status != DownlinkStatus.Completed);
    }

    [Fact]
    public async Task Curl_AttributeUpdateLongPoll_ThenTimeout()
    {
        var poll = Curl(Url($"/api/v1/{_token}/attributes/updates?timeout=20000"));
        await _host.WaitForPollsAsync(1);
        _gateway.Signal.Notify(new DownlinkEvent("Dev A", SignalKind.SharedAttributes, Encoding.UTF8.GetBytes("""{"targetTemperature":22}""")));
        Assert.Equal("""200 {"targetTemperature":22}""", await ResultAsync(poll));

        var idle = Curl(Url($"/api/v1/{_token}/attributes/updates?timeout=1000"));
        await _host.WaitForPollsAsync(1);
        _gateway.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal("408 ", await ResultAsync(idle));
    }
}
