using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Gateway.Interop.Tests.Support;
using Gateway.TestKit;

namespace Gateway.Interop.Tests.EndToEnd;

/// <summary>
/// Issue 23, firmware from the cloud. mosquitto plays ThingsBoard and assigns a package by external URL
/// (the <c>fw_*</c> shared attributes with <c>fw_url</c> on <c>v1/gateway/attributes</c>, thingsboard.md §1.7);
/// a <see cref="FirmwareHttpServer"/> serves the image; the gateway process downloads, verifies and stores it,
/// and libcoap's client, as the device, downloads it block-wise from <c>/fw/{token}</c>. The progress
/// (<c>fw_state</c>) reaches the cloud as the device's telemetry; refusals are counted in /metrics.
/// </summary>
public sealed class FirmwareFromCloudTests : IAsyncLifetime
{
    private readonly CloudSide _cloud = new();
    private readonly FirmwareHttpServer _server = new();
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), $"coapgw-fwcloud-{Guid.NewGuid():N}");
    private readonly Dictionary<string, string> _tokens = [];
    private readonly int _httpPort = FreePort.Tcp();
    private GatewayProcess? _gateway;

    public async Task InitializeAsync()
    {
        _cloud.StartSubscriber($"cloud-fw-{Guid.NewGuid():N}");
        foreach (var device in new[] { "Dev A", "Dev B", "Dev C" }) _tokens[device] = await CloudSide.AddDeviceAsync(_dataDir, device);
        await Task.Delay(300);  // mosquitto_sub subscribed
        _gateway = await GatewayProcess.StartAsync(_dataDir, _cloud.GatewayArguments("firmware-e2e",
            $"--Http:Port={_httpPort.ToString(CultureInfo.InvariantCulture)}", "--Http:Address=127.0.0.1",
            "--Firmware:MaxDownloadBytes=30000", "--Firmware:RetryMinSeconds=0.1", "--Firmware:RetryMaxSeconds=0.2"));
        _cloud.Diagnostics = () => "gateway log:\n" + _gateway.Output;
    }

    private static byte[] Image(int length)
    {
        var bytes = new byte[length];
        new Random(length).NextBytes(bytes);
        return bytes;
    }

    private string Assignment(string device, string title, byte[] image, string checksum) => new JsonObject
    {
        ["device"] = device,
        ["data"] = new JsonObject
        {
            ["fw_title"] = title,
            ["fw_version"] = "2.0",
            ["fw_size"] = image.Length,
            ["fw_checksum_algorithm"] = "SHA256",
            ["fw_checksum"] = checksum,
            ["fw_url"] = _server.Url($"images/{title}.bin"),
        },
    }.ToJsonString();

    /// <summary>A device request that reached the cloud proves the gateway's session (and its downlink subscription) is up.</summary>
    private async Task LinkUpAsync()
    {
        var result = await ProcessRunner.RunAsync(Peers.LibcoapClient, ["-m", "post", "-e", """{"boot":1}""", $"coap://[::1]:{_gateway!.Port}/api/v1/{_tokens["Dev A"]}/telemetry"]);
        Assert.True(result.ExitCode == 0, result.Describe());
        await _cloud.WaitTelemetryAsync("Dev A", 1);
    }

    private async Task<IReadOnlyList<string>> StatesAsync(string device, string last)
    {
        var deadline = DateTime.UtcNow + CloudSide.WaitLimit;
        while (true)
        {
            var states = _cloud.TelemetryEntries(device).Select(e => e["values"]!["fw_state"]?.GetValue<string>()).OfType<string>().ToList();
            if (states.Contains(last)) return states;
            Assert.True(DateTime.UtcNow < deadline, $"{device} did not report fw_state {last}; the cloud saw:\n{string.Join('\n', _cloud.Lines)}\n{_gateway!.Output}");
            await Task.Delay(100);
        }
    }

    private async Task<string> MetricsAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        return await http.GetStringAsync($"http://127.0.0.1:{_httpPort.ToString(CultureInfo.InvariantCulture)}/metrics");
    }

    private Task<ProcessResult> DeviceGetAsync(string device, string pathAndQuery, params string[] options) =>
        ProcessRunner.RunAsync(Peers.LibcoapClient, [.. options, $"coap://[::1]:{_gateway!.Port}/{pathAndQuery.Replace("{token}", _tokens[device], StringComparison.Ordinal)}"], TimeSpan.FromSeconds(60));

    [Fact]
    public async Task UrlPackage_InterruptedDownloadResumes_ThenTheDeviceGetsItBlockwise_ByteExact()
    {
        var image = Image(20000);
        _server.Serve("images/fwa.bin", image);
        _server.DropAfter = 7000;  // the first response is cut after 7,000 bytes
        _server.DropCount = 1;
        await LinkUpAsync();

        await _cloud.PublishAsync("v1/gateway/attributes", Assignment("Dev A", "fwa", image, Convert.ToHexStringLower(SHA256.HashData(image))));

        Assert.Equal(["DOWNLOADING", "DOWNLOADED", "VERIFIED"], await StatesAsync("Dev A", "VERIFIED"));
        var requests = _server.Requests.ToArray();
        Assert.Equal(2, requests.Length);
        Assert.Equal("bytes=7000-", requests[1].Headers["range"]);

        string received = Path.Combine(_dataDir, "received.bin");
        var download = await DeviceGetAsync("Dev A", "fw/{token}?title=fwa&version=2.0", "-v", "6", "-o", received);
        Assert.True(download.ExitCode == 0, download.Describe());
        Assert.Contains("Block2:19/", download.AllOutput, StringComparison.Ordinal);  // 20,000 bytes in 1,024-byte blocks 0..19
        Assert.Equal(image, await File.ReadAllBytesAsync(received));

        var attributes = await DeviceGetAsync("Dev A", "api/v1/{token}/attributes?sharedKeys=fw_title,fw_version,fw_size");
        Assert.True(attributes.ExitCode == 0, attributes.Describe());
        var shared = JsonNode.Parse(attributes.StandardOutput[attributes.StandardOutput.IndexOf('{', StringComparison.Ordinal)..])!["shared"]!;
        Assert.Equal(("fwa", "2.0", 20000), (shared["fw_title"]!.GetValue<string>(), shared["fw_version"]!.GetValue<string>(), shared["fw_size"]!.GetValue<int>()));
        Assert.Contains("coapgw_firmware_resumes_total 1", await MetricsAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task WrongChecksum_AndOversizedImage_AreRefused_AndTheDeviceNeverSeesThem()
    {
        var image = Image(5000);
        _server.Serve("images/fwb.bin", image);
        _server.Serve("images/fwc.bin", Image(40000));
        await LinkUpAsync();

        await _cloud.PublishAsync("v1/gateway/attributes", Assignment("Dev B", "fwb", image, new string('0', 64)));
        await _cloud.PublishAsync("v1/gateway/attributes", Assignment("Dev C", "fwc", Image(40000), "00"));

        var b = await StatesAsync("Dev B", "FAILED");
        Assert.Equal(["DOWNLOADING", "DOWNLOADED", "FAILED"], b);
        Assert.Contains(_cloud.TelemetryEntries("Dev B"), e => e["values"]!["fw_error"]?.GetValue<string>() == "Checksum verification failed (SHA256)");
        Assert.Equal(["FAILED"], await StatesAsync("Dev C", "FAILED"));
        Assert.Contains(_cloud.TelemetryEntries("Dev C"), e => e["values"]!["fw_error"]?.GetValue<string>() == "fw_size 40000 exceeds the gateway's limit of 30000 bytes");
        Assert.DoesNotContain(_server.Requests, r => r.Path.Contains("fwc", StringComparison.Ordinal));

        foreach (var device in new[] { "Dev B", "Dev C" })
        {
            var firmware = await DeviceGetAsync(device, "fw/{token}");
            Assert.Contains("4.04", firmware.AllOutput, StringComparison.Ordinal);  // no package assigned as far as the device can tell
            var attributes = await DeviceGetAsync(device, "api/v1/{token}/attributes?sharedKeys=fw_title,fw_version");
            Assert.DoesNotContain("fw_", attributes.StandardOutput, StringComparison.Ordinal);
        }
        var metrics = await MetricsAsync();
        Assert.Contains("coapgw_firmware_downloads_total{outcome=\"checksum_mismatch\"} 1", metrics, StringComparison.Ordinal);
        Assert.Contains("coapgw_firmware_downloads_total{outcome=\"size_exceeded\"} 1", metrics, StringComparison.Ordinal);
        Assert.DoesNotContain("fwb.bin?", _gateway!.Output, StringComparison.Ordinal);
    }

    public async Task DisposeAsync()
    {
        if (_gateway is not null) await _gateway.DisposeAsync();
        _server.Dispose();
        _cloud.Dispose();
        try { Directory.Delete(_dataDir, recursive: true); } catch (IOException) { }
    }
}
