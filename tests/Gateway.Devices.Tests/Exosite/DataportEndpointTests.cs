using System.Text;
using Gateway.Coap.Codec;
using Gateway.Coap.Messages;
using Gateway.Devices.Tests.Support;
using Gateway.Domain;
using static Gateway.Devices.Tests.Exosite.ExositeRequests;

namespace Gateway.Devices.Tests.Exosite;

/// <summary><c>/1a/&lt;alias&gt;</c> write, read, observed read and <c>/1a</c> multiple read/write (peers.md §A.1) over the in-memory transport, real SQLite.</summary>
public sealed class DataportEndpointTests : IDisposable
{
    private readonly ExositeGateway _gateway;
    private readonly CoapDevice _device;
    private ushort _mid = 0x100;

    public DataportEndpointTests() : this(null) { }

    private DataportEndpointTests(Action<Gateway.Devices.Exosite.ExositeOptions>? configure)
    {
        _gateway = new ExositeGateway(configure);
        _device = new CoapDevice(_gateway.Server);
    }

    public void Dispose()
    {
        _device.Dispose();
        _gateway.Dispose();
    }

    private Task<CoapMessage> Send(CoapCode method, string path, byte[][] queries, byte[]? payload = null, params CoapOption[] extra) =>
        _device.SendAsync(Build(method, path, ++_mid, queries, payload, extra: extra));

    [Fact]
    public async Task Write_TextCik_Answers204_RowTypedLikeThingsBoard_DataportUpdated()
    {
        var cik = await _gateway.ActivatedDeviceAsync();

        var response = await Send(CoapCode.Post, "1a/temp", [Text(cik)], Text("37"));

        Assert.Equal("2.04", Answer.Code(response));
        Assert.True(response.Payload.IsEmpty);
        Assert.Equal(["Telemetry Exo 1 [{\"ts\":1700000000000,\"values\":{\"temp\":37}}]"], await _gateway.RowTextsAsync());
        var stored = await _gateway.Dataports.ReadAsync("Exo 1", "temp");
        Assert.Equal("37", stored.Single().Value);
    }

    [Theory]
    [InlineData("26.1", "26.1")]
    [InlineData("on", "\"on\"")]
    [InlineData("", "\"\"")]
    [InlineData("12345678901234567890", "\"12345678901234567890\"")]
    public async Task Write_ValueTyping(string value, string json)
    {
        var cik = await _gateway.ActivatedDeviceAsync();
        await Send(CoapCode.Post, "1a/v", [Text(cik)], Text(value));
        Assert.Equal([$"Telemetry Exo 1 [{{\"ts\":1700000000000,\"values\":{{\"v\":{json}}}}}]"], await _gateway.RowTextsAsync());
    }

    [Fact]
    public async Task Write_BinaryCik_Accepted_UppercaseTextCikToo()
    {
        var cik = await _gateway.ActivatedDeviceAsync();
        Assert.Equal("2.04", Answer.Code(await Send(CoapCode.Post, "1a/a", [Binary(cik)], Text("1"))));
        Assert.Equal("2.04", Answer.Code(await Send(CoapCode.Post, "1a/b", [Text(cik.ToUpperInvariant())], Text("2"))));
    }

    [Theory]
    [InlineData("0000000000000000000000000000000000000000")]
    [InlineData("00000000000000000000000000000000000000")]
    [InlineData("zz00000000000000000000000000000000000000")]
    [InlineData("")]
    public async Task UnknownOrMalformedCik_Answers401_NothingStored(string cik)
    {
        await _gateway.ActivatedDeviceAsync();
        byte[][] query = cik.Length == 0 ? [] : [Text(cik)];
        Assert.Equal("4.01", Answer.Code(await Send(CoapCode.Post, "1a/temp", query, Text("1"))));
        Assert.Equal("4.01", Answer.Code(await Send(CoapCode.Get, "1a/temp", query)));
        Assert.Empty(await _gateway.RowTextsAsync());
    }

    [Fact]
    public async Task Cik_NeverLogged()
    {
        var cik = await _gateway.ActivatedDeviceAsync();
        await Send(CoapCode.Post, "1a/temp", [Text(cik)], Text("1"));
        await Send(CoapCode.Post, "1a/temp", [Text(cik)], Text("2")); // too fast: logged
        await Send(CoapCode.Get, "1a/temp", [Text(new string('a', 40))]); // unknown: logged
        Assert.DoesNotContain(_gateway.Logs.Lines, m => m.Contains(cik, StringComparison.OrdinalIgnoreCase) || m.Contains(new string('a', 40)));
    }

    [Fact]
    public async Task Read_Latest_Answers205_BareUtf8_NoContentFormat_EmptyWhenNoValue()
    {
        var cik = await _gateway.ActivatedDeviceAsync();
        var empty = await Send(CoapCode.Get, "1a/temp", [Text(cik)]);
        Assert.Equal("2.05", Answer.Code(empty));
        Assert.True(empty.Payload.IsEmpty);

        await Send(CoapCode.Post, "1a/temp", [Text(cik)], Text("21.5"));
        _gateway.Time.Advance(TimeSpan.FromSeconds(1));
        await Send(CoapCode.Post, "1a/temp", [Text(cik)], Text("héllo"));
        var response = await Send(CoapCode.Get, "1a/temp", [Binary(cik)]);

        Assert.Equal("2.05", Answer.Code(response));
        Assert.Equal("68c3a96c6c6f", Convert.ToHexStringLower(response.Payload.Span));
        Assert.Null(Answer.Option(response, CoapOptionNumber.ContentFormat));
    }

    [Fact]
    public async Task SecondWriteWithinOneSecond_Rejected412_AfterOneSecondAccepted_OtherAliasUnaffected()
    {
        var cik = await _gateway.ActivatedDeviceAsync();
        Assert.Equal("2.04", Answer.Code(await Send(CoapCode.Post, "1a/temp", [Text(cik)], Text("1"))));
        Assert.Equal("4.12", Answer.Code(await Send(CoapCode.Post, "1a/temp", [Text(cik)], Text("2"))));
        Assert.Equal("2.04", Answer.Code(await Send(CoapCode.Post, "1a/hum", [Text(cik)], Text("3"))));
        _gateway.Time.Advance(TimeSpan.FromMilliseconds(999));
        Assert.Equal("4.12", Answer.Code(await Send(CoapCode.Post, "1a/temp", [Text(cik)], Text("4"))));
        _gateway.Time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal("2.04", Answer.Code(await Send(CoapCode.Post, "1a/temp", [Text(cik)], Text("5"))));
        Assert.Equal(["1", "3", "5"], (await _gateway.RowTextsAsync()).Select(r => r.Split(':')[^1].TrimEnd('}', ']')));
    }

    [Fact]
    public async Task RateLimitAndAliasPolicy_Configurable()
    {
        using var gateway = new ExositeGateway(o =>
        {
            o.MinWriteInterval = TimeSpan.Zero;
            o.AllowedAliases.Add("temp");
        });
        using var device = new CoapDevice(gateway.Server);
        var cik = await gateway.ActivatedDeviceAsync();
        Assert.Equal("2.04", Answer.Code(await device.SendAsync(Build(CoapCode.Post, "1a/temp", 1, [Text(cik)], Text("1")))));
        Assert.Equal("2.04", Answer.Code(await device.SendAsync(Build(CoapCode.Post, "1a/temp", 2, [Text(cik)], Text("2")))));
        Assert.Equal("4.03", Answer.Code(await device.SendAsync(Build(CoapCode.Post, "1a/secret", 3, [Text(cik)], Text("3")))));
        Assert.Equal("4.03", Answer.Code(await device.SendAsync(Build(CoapCode.Get, "1a/secret", 4, [Text(cik)]))));
        Assert.Equal("4.03", Answer.Code(await device.SendAsync(Build(CoapCode.Post, "1a", 5, [Text(cik), Text("secret")]))));
        Assert.Equal(2, (await gateway.RowTextsAsync()).Count);
    }

    [Fact]
    public async Task InvalidUtf8Value_Answers400()
    {
        var cik = await _gateway.ActivatedDeviceAsync();
        Assert.Equal("4.00", Answer.Code(await Send(CoapCode.Post, "1a/temp", [Text(cik)], [0xC3, 0x28])));
    }

    [Fact]
    public async Task RetransmittedWrite_OneRow_SameAnswer()
    {
        var cik = await _gateway.ActivatedDeviceAsync();
        var request = Build(CoapCode.Post, "1a/temp", 0x4242, [Text(cik)], Text("7"));
        Assert.Equal("2.04", Answer.Code(await _device.SendAsync(request)));
        Assert.Equal("2.04", Answer.Code(await _device.SendAsync(request)));
        Assert.Single(await _gateway.RowTextsAsync());
    }

    [Fact]
    public async Task Multi_WritesCborMap_ReadsQueryAliases_AnswersCborMap()
    {
        var cik = await _gateway.ActivatedDeviceAsync();
        await Send(CoapCode.Post, "1a/r1", [Text(cik)], Text("99"));

        // {"w1": "26.1", "w2": "on"}
        var body = Convert.FromHexString("a26277316432362e31627732626f6e");
        var response = await Send(CoapCode.Post, "1a", [Binary(cik), Text("r1"), Text("w2"), Text("none")], body);

        Assert.Equal("2.05", Answer.Code(response));
        Assert.Equal(60u, Answer.Option(response, CoapOptionNumber.ContentFormat));
        // {"r1": "99", "w2": "on"}: writes happen first, aliases without a value are left out
        Assert.Equal("a2627231623939627732626f6e", Convert.ToHexStringLower(response.Payload.Span));
        Assert.Equal("Telemetry Exo 1 [{\"ts\":1700000000000,\"values\":{\"w1\":26.1,\"w2\":\"on\"}}]", (await _gateway.RowTextsAsync())[1]);
    }

    [Fact]
    public async Task Multi_ReadOnly_EmptyBody_AndBadBody400_AndUnknownCik401()
    {
        var cik = await _gateway.ActivatedDeviceAsync();
        var response = await Send(CoapCode.Post, "1a", [Text(cik), Text("x")]);
        Assert.Equal("2.05", Answer.Code(response));
        Assert.Equal("a0", Convert.ToHexStringLower(response.Payload.Span));
        Assert.Equal("4.00", Answer.Code(await Send(CoapCode.Post, "1a", [Text(cik)], [0x82, 0x01])));
        Assert.Equal("4.00", Answer.Code(await Send(CoapCode.Post, "1a", [Text(cik)], [0xFF])));
        Assert.Equal("4.01", Answer.Code(await Send(CoapCode.Post, "1a", [Text(new string('1', 40)), Text("x")])));
    }

    [Fact]
    public async Task Observe_FirstResponse_NotificationOnWrite_AndOnCloudAttribute_AndRefreshAtMaxAge()
    {
        var cik = await _gateway.ActivatedDeviceAsync();
        await Send(CoapCode.Post, "1a/led", [Text(cik)], Text("off"));

        var first = await _device.SendAsync(Build(CoapCode.Get, "1a/led", ++_mid, [Text(cik)], token: [0xAB, 0xCD],
            extra: CoapOption.FromUInt(CoapOptionNumber.Observe, 0)));
        Assert.Equal("2.05", Answer.Code(first));
        Assert.NotNull(Answer.Option(first, CoapOptionNumber.Observe));
        Assert.Equal(60u, Answer.Option(first, CoapOptionNumber.MaxAge));
        Assert.Equal("off", Answer.Text(first));
        Assert.Equal(1, _gateway.Resources.ObserverCount);

        // A write (from another address, so its ACK and the notification don't race in this script): a notification with the new value.
        _gateway.Time.Advance(TimeSpan.FromSeconds(1));
        using var writer = new CoapDevice(_gateway.Server, new System.Net.IPEndPoint(System.Net.IPAddress.Parse("192.0.2.11"), 40001));
        Assert.Equal("2.04", Answer.Code(await writer.SendAsync(Build(CoapCode.Post, "1a/led", 0x777, [Text(cik)], Text("on")))));
        var byWrite = NextNotification();
        Assert.Equal("on", Answer.Text(byWrite));
        Assert.Equal("ABCD", Convert.ToHexString(byWrite.Token.Span));
        Assert.Equal(60u, Answer.Option(byWrite, CoapOptionNumber.MaxAge));

        // The cloud sets the shared attribute "led": the dataport follows and the observer hears it.
        _gateway.Signal.Notify(new DownlinkEvent("Exo 1", DownlinkKind.SharedAttributes, Encoding.UTF8.GetBytes("{\"led\":\"blink\",\"other\":5}")));
        var byCloud = NextNotification();
        Assert.Equal("blink", Answer.Text(byCloud));
        Assert.Equal("5", (await _gateway.Dataports.ReadAsync("Exo 1", "other")).Single().Value);

        // Nothing changes for Max-Age: the value is sent again (§A.1 refresh).
        _gateway.Time.Advance(TimeSpan.FromSeconds(59));
        Assert.Null(_device.Receive(TimeSpan.FromMilliseconds(200)));
        _gateway.Time.Advance(TimeSpan.FromSeconds(1));
        var refresh = NextNotification();
        Assert.Equal("blink", Answer.Text(refresh));
        Assert.True(Answer.Option(refresh, CoapOptionNumber.Observe) > Answer.Option(byCloud, CoapOptionNumber.Observe));
    }

    [Fact]
    public async Task BruteForce_FailuresAnswered401_ThenSilence_EvenForAValidCik_UntilTheSilenceEnds()
    {
        var cik = await _gateway.ActivatedDeviceAsync();
        for (int i = 0; i < 20; i++)
            Assert.Equal("4.01", Answer.Code(await Send(CoapCode.Get, "1a/temp", [Text($"{i:x40}")])));

        // reliability.md S6: from the 21st failure on, nothing at all (not even an empty ACK), and a
        // silenced source is not looked up, so its valid CIK, the RPC and the content API are silent too.
        void Deliver(CoapMessage request) => _device.Transport.Deliver(CoapCodec.Encode(request), _device.Address);
        Deliver(Build(CoapCode.Get, "1a/temp", ++_mid, [Text(new string('e', 40))]));
        Deliver(Build(CoapCode.Post, "1a/temp", ++_mid, [Text(cik)], Text("7")));
        Deliver(Build(CoapCode.Get, "provision/download/acme/sensor", ++_mid, [Text(new string('e', 40))]));
        Deliver(Build(CoapCode.Post, "rpc", ++_mid, [], Gateway.Devices.Exosite.Cbor.CborJson.Encode(System.Text.Json.Nodes.JsonNode.Parse($$"""{"auth":{"cik":"{{new string('e', 40)}}"},"calls":[]}""")),
            extra: CoapOption.FromUInt(CoapOptionNumber.ContentFormat, 60)));
        Assert.Null(_device.Receive(TimeSpan.FromMilliseconds(300)));
        Assert.Empty(await _gateway.RowTextsAsync());
        Assert.Contains(_gateway.Logs.Lines, l => l.Contains(" 351 Too many unknown CIKs", StringComparison.Ordinal));
        Assert.DoesNotContain(_gateway.Logs.Lines, l => l.Contains(cik, StringComparison.OrdinalIgnoreCase));

        _gateway.Time.Advance(TimeSpan.FromMinutes(6));
        Assert.Equal("2.04", Answer.Code(await Send(CoapCode.Post, "1a/temp", [Text(cik)], Text("8"))));
    }

    [Fact]
    public async Task Observe_StoredWithoutTheCik_IsRestoredByDevice_AndNotifiedOnTheNextWrite()
    {
        var cik = await _gateway.ActivatedDeviceAsync();
        await Send(CoapCode.Post, "1a/led", [Text(cik)], Text("off"));
        var first = await _device.SendAsync(Build(CoapCode.Get, "1a/led", ++_mid, [Text(cik)], token: [0xAB, 0xCD],
            extra: CoapOption.FromUInt(CoapOptionNumber.Observe, 0)));
        Assert.Equal("2.05", Answer.Code(first));
        var saved = Assert.Single(_device.Endpoint.ExportObservations());
        Assert.Equal(("/1a/led", "Exo 1"), (saved.Target, saved.State));
        Assert.DoesNotContain(cik, saved.ToString(), StringComparison.OrdinalIgnoreCase);

        // The CoAP side restarts (a new endpoint on the same resources) and restores the relation.
        _device.Dispose();
        using var restarted = new CoapDevice(_gateway.Server);
        Assert.NotNull(await restarted.Endpoint.RestoreObservationAsync(saved));
        Assert.Equal(1, _gateway.Resources.ObserverCount);

        _gateway.Time.Advance(TimeSpan.FromSeconds(1));
        using var writer = new CoapDevice(_gateway.Server, new System.Net.IPEndPoint(System.Net.IPAddress.Parse("192.0.2.11"), 40001));
        Assert.Equal("2.04", Answer.Code(await writer.SendAsync(Build(CoapCode.Post, "1a/led", 0x778, [Text(cik)], Text("on")))));
        var notification = restarted.Receive(TimeSpan.FromSeconds(5));
        Assert.NotNull(notification);
        Assert.Equal(("2.05", "on", "ABCD"), (Answer.Code(notification), Answer.Text(notification), Convert.ToHexString(notification.Token.Span)));
        Assert.True(Answer.Option(notification, CoapOptionNumber.Observe) > (1u << 22));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Observe_ARestoredRelation_IsReplacedAtOnce_WhenTheDeviceRegistersAgainWithANewToken(bool fromNewAddress)
    {
        // Issue 17: libexositecoap re-registers with a new token (and, behind a NAT, from a new port) after the gateway
        // restarted; the restored relation must go at once, not live on until a notification to its token fails.
        var cik = await _gateway.ActivatedDeviceAsync();
        await Send(CoapCode.Post, "1a/led", [Text(cik)], Text("off"));
        Assert.Equal("2.05", Answer.Code(await _device.SendAsync(Build(CoapCode.Get, "1a/led", ++_mid, [Text(cik)], token: [0xAB, 0xCD],
            extra: CoapOption.FromUInt(CoapOptionNumber.Observe, 0)))));
        var saved = Assert.Single(_device.Endpoint.ExportObservations());
        _device.Dispose();
        using var restarted = new CoapDevice(_gateway.Server);
        Assert.NotNull(await restarted.Endpoint.RestoreObservationAsync(saved));

        if (fromNewAddress) restarted.Address = new System.Net.IPEndPoint(System.Net.IPAddress.Parse("192.0.2.12"), 40002);
        // Read every datagram: the old relation's final 2.02 (RFC 7641 §3.2) may come before the new registration's ACK.
        restarted.Transport.Deliver(CoapCodec.Encode(Build(CoapCode.Get, "1a/led", 0x990, [Text(cik)], token: [0x12, 0x34],
            extra: CoapOption.FromUInt(CoapOptionNumber.Observe, 0))), restarted.Address);
        CoapMessage? again = null;
        while (again is null)
        {
            var message = restarted.Receive(TimeSpan.FromSeconds(5)) ?? throw new TimeoutException("no answer to the new registration");
            if (message.Type == CoapMessageType.Acknowledgement) again = message;
        }
        Assert.Equal(("2.05", "off", "1234"), (Answer.Code(again), Answer.Text(again), Convert.ToHexString(again.Token.Span)));
        Assert.Equal(1, _gateway.Resources.ObserverCount);
        Assert.Equal("1234", Convert.ToHexString(Assert.Single(restarted.Endpoint.ExportObservations()).Token));
        var device = restarted;

        // The next write (a second later: the write limiter) notifies the new token only.
        _gateway.Time.Advance(TimeSpan.FromSeconds(1));
        using var writer = new CoapDevice(_gateway.Server, new System.Net.IPEndPoint(System.Net.IPAddress.Parse("192.0.2.11"), 40001));
        Assert.Equal("2.04", Answer.Code(await writer.SendAsync(Build(CoapCode.Post, "1a/led", 0x778, [Text(cik)], Text("on")))));
        var tokens = new List<string>();
        for (var m = device.Receive(TimeSpan.FromSeconds(5)); m is not null; m = device.Receive(TimeSpan.FromMilliseconds(300)))
        {
            tokens.Add(Convert.ToHexString(m.Token.Span) + " " + Answer.Code(m));
            if (m.Type == CoapMessageType.Confirmable) device.Transport.Deliver(CoapCodec.Encode(CoapMessage.EmptyAck(m.MessageId)), device.Address);
        }
        Assert.Contains("1234 2.05", tokens);
        Assert.DoesNotContain("ABCD 2.05", tokens);
    }

    [Fact]
    public async Task Observe_UnknownCik_401_NoRelation()
    {
        await _gateway.ActivatedDeviceAsync();
        var response = await _device.SendAsync(Build(CoapCode.Get, "1a/led", ++_mid, [Text(new string('f', 40))],
            extra: CoapOption.FromUInt(CoapOptionNumber.Observe, 0)));
        Assert.Equal("4.01", Answer.Code(response));
        Assert.Null(Answer.Option(response, CoapOptionNumber.Observe));
        Assert.Equal(0, _gateway.Resources.ObserverCount);
    }

    /// <summary>Takes the next CON notification and ACKs it (§A.1 "ACK Empty").</summary>
    private CoapMessage NextNotification()
    {
        var message = _device.Receive(TimeSpan.FromSeconds(5)) ?? throw new TimeoutException("no notification");
        Assert.Equal("2.05", Answer.Code(message));
        if (message.Type == CoapMessageType.Confirmable)
            _device.Transport.Deliver(CoapCodec.Encode(CoapMessage.EmptyAck(message.MessageId)), _device.Address);
        return message;
    }
}
