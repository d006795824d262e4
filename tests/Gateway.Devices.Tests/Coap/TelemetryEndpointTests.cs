using Gateway.Coap.Messages;
using Gateway.Devices.Tests.Support;
using Gateway.Storage.Outbox;

namespace Gateway.Devices.Tests.Coap;

/// <summary><c>POST /api/v1/{token}/telemetry</c> over a real endpoint against real SQLite (thingsboard.md §2.3, §2.4; DESIGN.md guarantees).</summary>
public sealed class TelemetryEndpointTests : IDisposable
{
    private readonly Support.Gateway _gateway = new();
    private readonly CoapDevice _device;

    public TelemetryEndpointTests() => _device = new CoapDevice(_gateway.Server);

    public void Dispose()
    {
        _device.Dispose();
        _gateway.Dispose();
    }

    [Fact]
    public async Task Object_Answers201WithoutBody_AndCommitsConnectThenTelemetry()
    {
        var token = await _gateway.AddDeviceAsync("Dev A", "A1_TEST_TOKEN", "thermostat");

        var response = await _device.PostAsync($"api/v1/{token}/telemetry", """{"temperature":21.5,"on":true}""");

        Assert.Equal("2.01", Answer.Code(response));
        // Piggybacked (ACK) when the two commits take < 500 ms, else empty ACK + separate CON: both are correct.
        Assert.True(response.Payload.IsEmpty);
        Assert.Empty(response.Options);
        Assert.Equal(
        [
            """DeviceConnect Dev A {"type":"thermostat"}""",
            """Telemetry Dev A [{"ts":1700000000000,"values":{"temperature":21.5,"on":true}}]""",
        ], await _gateway.RowTextsAsync());
    }

    [Fact]
    public async Task SeedForms_ProduceExactRows_ConnectOnlyOnce()
    {
        var token = await _gateway.AddDeviceAsync("Dev A");

        Assert.Equal("2.01", Answer.Code(await _device.PostAsync($"api/v1/{token}/telemetry", """{"key1":"value1", "key2":"value2"}""")));
        Assert.Equal("2.01", Answer.Code(await _device.PostAsync($"api/v1/{token}/telemetry", """[{"key1":"value1"}, {"key2":"value2"}]""")));
        Assert.Equal("2.01", Answer.Code(await _device.PostAsync($"api/v1/{token}/telemetry", """{"ts":1451649600512, "values":{"key1":"value1", "key2":"value2"}}""")));

        Assert.Equal(
        [
            """DeviceConnect Dev A {"type":"default"}""",
            """Telemetry Dev A [{"ts":1700000000000,"values":{"key1":"value1","key2":"value2"}}]""",
            """Telemetry Dev A [{"ts":1700000000000,"values":{"key1":"value1"}},{"ts":1700000000000,"values":{"key2":"value2"}}]""",
            """Telemetry Dev A [{"ts":1451649600512,"values":{"key1":"value1","key2":"value2"}}]""",
        ], await _gateway.RowTextsAsync());
    }

    // Issue 23: first requests of one device arriving together used to queue a connect row each (8 gave 2).
    [Fact]
    public async Task ConcurrentFirstRequests_QueueOneConnectPerDevice()
    {
        const int Devices = 10, Concurrent = 8;
        var clients = Enumerable.Range(0, Concurrent)
            .Select(i => new CoapDevice(_gateway.Server, new System.Net.IPEndPoint(System.Net.IPAddress.Parse("192.0.2.10"), 41000 + i))).ToList();
        try
        {
            for (int d = 0; d < Devices; d++)
            {
                var token = await _gateway.AddDeviceAsync($"Dev {d}", $"CONCURRENT_TOKEN_{d:D2}");
                var answers = await Task.WhenAll(clients.Select((c, i) => c.PostAsync($"api/v1/{token}/telemetry", $$"""{"n":{{i}}}""")));
                Assert.All(answers, a => Assert.Equal("2.01", Answer.Code(a)));
            }
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }
        var rows = await _gateway.RowTextsAsync();
        for (int d = 0; d < Devices; d++)
            Assert.Single(rows, r => r.StartsWith($"DeviceConnect Dev {d} ", StringComparison.Ordinal));
        Assert.Equal(Devices * Concurrent, rows.Count(r => r.StartsWith("Telemetry", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task EmptyArray_Answers201WithoutRow()
    {
        var token = await _gateway.AddDeviceAsync("Dev A");

        Assert.Equal("2.01", Answer.Code(await _device.PostAsync($"api/v1/{token}/telemetry", "[]")));

        Assert.Empty(await _gateway.RowTextsAsync(OutboxMessageKind.Telemetry));
    }

    [Theory]
    [InlineData("{\"a\":")]
    [InlineData("")]
    [InlineData("17")]
    [InlineData("[1,2]")]
    public async Task MalformedPayload_Answers400_NoRow(string payload)
    {
        var token = await _gateway.AddDeviceAsync("Dev A");

        var response = await _device.PostAsync($"api/v1/{token}/telemetry", payload.Length == 0 ? null : payload);

        Assert.Equal("4.00", Answer.Code(response));
        Assert.Empty(await _gateway.RowTextsAsync(OutboxMessageKind.Telemetry));
    }

    [Theory]
    [InlineData("telemetry", "{\"s\":\"\u00ff\u00ee\"}")]       // invalid UTF-8 inside a string value
    [InlineData("telemetry", "{\"\u00ff\":1}")]                      // … inside a key
    [InlineData("attributes", "{\"fw\":\"\u00c3\"}")]             // a truncated 2-byte sequence
    [InlineData("rpc", "{\"method\":\"\u00ee\",\"params\":{}}")]  // client-side RPC method
    public async Task JsonWithInvalidUtf8_Answers400_NotAServerError(string feature, string latin1)
    {
        // RFC 8259 §8.1: JSON is UTF-8; these bytes are not (found by the UDP fuzz test as 5.00 answers).
        var token = await _gateway.AddDeviceAsync("Dev A");
        var body = System.Text.Encoding.Latin1.GetBytes(latin1);
        var request = CoapDevice.Request(Gateway.Coap.Messages.CoapCode.Post, $"api/v1/{token}/{feature}", _device.NextMessageId(), contentFormat: 50);
        var withBody = new Gateway.Coap.Messages.CoapMessage(request.Type, request.Code, request.MessageId, request.Token, request.Options, body);

        var response = await _device.SendAsync(withBody);

        Assert.Equal("4.00", Answer.Code(response));
        Assert.All(await _gateway.RowTextsAsync(), row => Assert.StartsWith("DeviceConnect", row, StringComparison.Ordinal)); // nothing of the payload stored
    }

    [Fact]
    public async Task UnknownToken_Answers401WithoutPayload_NoRowAndNoTokenInLogs()
    {
        await _gateway.AddDeviceAsync("Dev A", "REAL_TOKEN");

        var response = await _device.PostAsync("api/v1/GUESSED_TOKEN_123/telemetry", """{"a":1}""");

        Assert.Equal("4.01", Answer.Code(response));
        Assert.True(response.Payload.IsEmpty);
        Assert.Empty(await _gateway.RowsAsync());
        Assert.DoesNotContain(_gateway.Logs.Lines, l => l.Contains("GUESSED_TOKEN_123", StringComparison.Ordinal) || l.Contains("REAL_TOKEN", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("GET", "api/v1/{0}/telemetry", "4.00")]  // §2.4: GET on telemetry
    [InlineData("GET", "api/v1/{0}/claim", "4.00")]
    [InlineData("GET", "api/v1/{0}/rpc", "4.00")]        // GET /rpc without Observe
    [InlineData("POST", "api/v1/{0}/foo", "4.00")]       // unknown feature: 4.00, not 4.04
    [InlineData("GET", "api/v1/BAD/foo", "4.00")]        // feature checked before the token
    [InlineData("PUT", "api/v1/{0}/telemetry", "4.05")]
    [InlineData("DELETE", "api/v1/{0}/attributes", "4.05")]
    [InlineData("POST", "api/v1/telemetry", "4.01")]     // path too short for a token
    [InlineData("GET", "foo", "4.04")]
    [InlineData("POST", "api/v1/{0}/TELEMETRY", "2.01")] // feature names are case-insensitive
    public async Task ResponseCodes_FollowThingsBoard(string method, string path, string code)
    {
        var token = await _gateway.AddDeviceAsync("Dev A");
        var coapMethod = method switch { "GET" => CoapCode.Get, "POST" => CoapCode.Post, "PUT" => CoapCode.Put, _ => CoapCode.Delete };

        var response = await _device.SendAsync(CoapDevice.Request(coapMethod, string.Format(System.Globalization.CultureInfo.InvariantCulture, path, token),
            _device.NextMessageId(), method == "GET" ? null : """{"a":1}""", 50));

        Assert.Equal(code, Answer.Code(response));
    }

    [Fact]
    public async Task Retransmission_AfterRestart_CreatesNoSecondRow()
    {
        var token = await _gateway.AddDeviceAsync("Dev A");
        var request = CoapDevice.Request(CoapCode.Post, $"api/v1/{token}/telemetry", 0x4242, """{"a":1}""", 50);
        Assert.Equal("2.01", Answer.Code(await _device.SendAsync(request)));

        // The gateway restarts (in-memory dedup gone); the device retransmits the same CON from the same port.
        _device.Dispose();
        _gateway.Restart();
        using var again = new CoapDevice(_gateway.Server);
        var replay = await again.SendAsync(request);

        Assert.Equal("2.01", Answer.Code(replay));
        Assert.Single(await _gateway.RowTextsAsync(OutboxMessageKind.Telemetry));
    }

    // The durable records are kept by (peer, block of 64 Message IDs): consecutive IDs across a block boundary are
    // each stored once, and each retransmission after a restart is still recognised.
    [Fact]
    public async Task ConsecutiveMessageIds_AcrossABlockBoundary_EachStoredOnce_AlsoAfterRestart()
    {
        var token = await _gateway.AddDeviceAsync("Dev A");
        var requests = Enumerable.Range(0x103D, 6)
            .Select(mid => CoapDevice.Request(CoapCode.Post, $"api/v1/{token}/telemetry", (ushort)mid, $"{{\"mid\":{mid}}}", 50)).ToList();
        foreach (var request in requests) Assert.Equal("2.01", Answer.Code(await _device.SendAsync(request)));

        _device.Dispose();
        _gateway.Restart();
        using var again = new CoapDevice(_gateway.Server);
        foreach (var request in requests) Assert.Equal("2.01", Answer.Code(await again.SendAsync(request)));

        Assert.Equal(6, (await _gateway.RowTextsAsync(OutboxMessageKind.Telemetry)).Count);
    }

    [Fact]
    public async Task IdenticalReadingsWithNewMessageIds_AreBothStored()
    {
        var token = await _gateway.AddDeviceAsync("Dev A");

        await _device.PostAsync($"api/v1/{token}/telemetry", """{"a":1}""");
        await _device.PostAsync($"api/v1/{token}/telemetry", """{"a":1}""");

        Assert.Equal(2, (await _gateway.RowTextsAsync(OutboxMessageKind.Telemetry)).Count);
    }
}
