using System.Text;
using Gateway.Coap.Messages;
using Gateway.Devices.Tests.Support;
using Gateway.Devices.ThingsBoard;
using Gateway.Storage.Attributes;
using Gateway.Storage.Outbox;

namespace Gateway.Devices.Tests.Coap;

/// <summary>Claiming (§1.5), provisioning (§1.6, §2.7), OTA downloads (§2.8), and the failure limiter (reliability.md §2.4).</summary>
public sealed class ClaimProvisionOtaTests : IDisposable
{
    private readonly Support.Gateway _gateway = new();
    private readonly CoapDevice _device;

    public ClaimProvisionOtaTests() => _device = new CoapDevice(_gateway.Server);

    public void Dispose()
    {
        _device.Dispose();
        _gateway.Dispose();
    }

    [Fact]
    public async Task Claim_EmptyBodyAndGivenValues_ProduceRows()
    {
        var token = await _gateway.AddDeviceAsync("Dev A");

        Assert.Equal("2.01", Answer.Code(await _device.PostAsync($"api/v1/{token}/claim", null, null)));
        Assert.Equal("2.01", Answer.Code(await _device.PostAsync($"api/v1/{token}/claim", """{"secretKey":"value", "durationMs":60000}""")));
        Assert.Equal("4.00", Answer.Code(await _device.PostAsync($"api/v1/{token}/claim", "[]")));

        Assert.Equal(["""Claim Dev A {"secretKey":""}""", """Claim Dev A {"secretKey":"value","durationMs":60000}"""],
            await _gateway.RowTextsAsync(OutboxMessageKind.Claim));
    }

    [Fact]
    public async Task Provision_Success201WithToken_TheTokenWorks()
    {
        _gateway.Provisioning.Profiles.Add(new ProvisioningProfile { Key = "u7piawkboq8v32dmcmpp", Secret = "jpmwdn8ptlswmf4m29bw", Type = "sensor" });

        var response = await _device.PostAsync("api/v1/provision",
            """{"deviceName":"DEVICE_NAME","provisionDeviceKey":"u7piawkboq8v32dmcmpp","provisionDeviceSecret":"jpmwdn8ptlswmf4m29bw","token":"MY_TOKEN_1"}""");

        Assert.Equal("2.01", Answer.Code(response));
        Assert.Equal("""{"credentialsValue":"MY_TOKEN_1","credentialsType":"ACCESS_TOKEN","status":"SUCCESS"}""", Answer.Text(response));
        Assert.Equal("2.01", Answer.Code(await _device.PostAsync("api/v1/MY_TOKEN_1/telemetry", """{"a":1}""")));
        Assert.Equal("sensor", (await _gateway.Devices.FindByNameAsync("DEVICE_NAME"))!.Profile);
    }

    [Theory]
    [InlineData("""{"deviceName":"X","provisionDeviceKey":"k","provisionDeviceSecret":"wrong"}""", """{"errorMsg":"Provision data was not found!","status":"NOT_FOUND"}""")]
    [InlineData("""{"deviceName":"X","provisionDeviceKey":"other","provisionDeviceSecret":"s"}""", """{"errorMsg":"Provision data was not found!","status":"NOT_FOUND"}""")]
    [InlineData("""{"deviceName":"X"}""", """{"errorMsg":"Provision data was not found!","status":"NOT_FOUND"}""")]
    [InlineData("""{"deviceName":"Existing","provisionDeviceKey":"k","provisionDeviceSecret":"s"}""", """{"errorMsg":"Failed to provision device!","status":"FAILURE"}""")]
    [InlineData("""{"deviceName":" ","provisionDeviceKey":"k","provisionDeviceSecret":"s"}""", """{"errorMsg":"Failed to provision device!","status":"FAILURE"}""")]
    public async Task Provision_Refusals_Answer400WithThingsBoardJson(string request, string body)
    {
        _gateway.Provisioning.Profiles.Add(new ProvisioningProfile { Key = "k", Secret = "s" });
        await _gateway.AddDeviceAsync("Existing");

        var response = await _device.PostAsync("api/v1/provision", request);

        Assert.Equal("4.00", Answer.Code(response));
        Assert.Equal(body, Answer.Text(response));
    }

    private async Task<string> FirmwareAsync(int size)
    {
        var token = await _gateway.AddDeviceAsync("Dev A");
        var bytes = Enumerable.Range(0, size).Select(i => (byte)i).ToArray();
        await _gateway.Content.PutAsync(OtaService.PackageName(OtaPackageType.Firmware, "fw", "1.0"), "application/octet-stream", new MemoryStream(bytes));
        await _gateway.Attributes.SetAsync("Dev A", AttributeScope.Shared, new Dictionary<string, string> { ["fw_title"] = "\"fw\"", ["fw_version"] = "\"1.0\"" }, Support.Gateway.Now);
        return token;
    }

    [Theory]
    [InlineData("fw/{0}?title=fw&version=1.0&size=500&chunk=0", "2.05", 500, 0)]
    [InlineData("fw/{0}?title=fw&version=1.0&size=500&chunk=4", "2.05", 300, 2000)]   // last chunk shorter
    [InlineData("fw/{0}?size=500&chunk=5", "2.05", 0, 0)]                             // past the end: empty (ThingsBoard: silence)
    [InlineData("fw/{0}?title=other&version=1.0&size=100&chunk=0", "4.00", 0, 0)]
    [InlineData("api/v1/{0}/firmware?title=fw&version=1.0&size=100&chunk=1", "2.05", 100, 100)] // the documented path, served
    [InlineData("sw/{0}?size=100&chunk=0", "4.04", 0, 0)]                             // no software assigned
    [InlineData("fw/UNKNOWN?size=100&chunk=0", "4.01", 0, 0)]
    public async Task Firmware_Chunks(string path, string code, int length, int firstByte)
    {
        var token = await FirmwareAsync(2300);

        var response = await _device.GetAsync(string.Format(System.Globalization.CultureInfo.InvariantCulture, path, token));

        Assert.Equal(code, Answer.Code(response));
        if (code == "2.05") Assert.Equal(length, response.Payload.Length);
        if (length > 0)
        {
            Assert.Equal((byte)firstByte, response.Payload.Span[0]);
            Assert.Equal(42u, Answer.Option(response, CoapOptionNumber.ContentFormat));
        }
    }

    [Fact]
    public async Task Firmware_WholeFile_GoesBlockwise()
    {
        var token = await FirmwareAsync(2500);

        var first = await _device.GetAsync($"fw/{token}");

        Assert.Equal("2.05", Answer.Code(first));
        var block = BlockOption.Decode(Answer.Option(first, CoapOptionNumber.Block2)!.Value);
        Assert.True(block.More);
        Assert.Equal(0u, block.Number);
        Assert.Equal(block.Size, first.Payload.Length);
        Assert.Equal("4.05", Answer.Code(await _device.PostAsync($"fw/{token}", "x")));
    }

    [Fact]
    public async Task Limiter_Answers20Then_Silences_AndNeverLooksUpMore()
    {
        var limiter = _gateway.Api.Authenticator;
        var results = new List<DeviceApiStatus>();
        for (int i = 0; i < 30; i++)
        {
            var result = await _gateway.Api.IngestTelemetryAsync($"guess-{i}", Encoding.UTF8.GetBytes("{}"), new DeviceRequestContext("198.51.100.7"));
            results.Add(result.Status);
        }
        Assert.Equal(20, results.Count(s => s == DeviceApiStatus.Unauthorized));
        Assert.All(results.Skip(20), s => Assert.Equal(DeviceApiStatus.Silent, s));
        Assert.True(limiter.Limiter.IsSilenced("198.51.100.7"));
        Assert.False(limiter.Limiter.IsSilenced("198.51.100.8"));
        _gateway.Time.Advance(TimeSpan.FromMinutes(6));
        Assert.False(limiter.Limiter.IsSilenced("198.51.100.7"));
        Assert.DoesNotContain(_gateway.Logs.Lines, l => l.Contains("guess-", StringComparison.Ordinal));
    }
}
