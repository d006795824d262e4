using System.Text;
using System.Text.Json.Nodes;
using Gateway.Coap.Codec;
using Gateway.Coap.Messages;
using Gateway.Devices.Tests.Support;
using Gateway.Domain;
using Gateway.Storage.Downlinks;
using Gateway.Storage.Outbox;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Devices.Tests.Coap;

/// <summary>Server-side RPC over Observe, replies, client-side RPC, expiry (thingsboard.md §1.4, §2.3, §2.5).</summary>
public sealed class RpcEndpointTests : IDisposable
{
    private readonly Support.Gateway _gateway = new();
    private readonly CoapDevice _device;

    public RpcEndpointTests() => _device = new CoapDevice(_gateway.Server);

    public void Dispose()
    {
        _device.Dispose();
        _gateway.Dispose();
    }

    private Task<long> QueueRpcAsync(long id, string method, TimeSpan? ttl = null) =>
        _gateway.Downlinks.EnqueueAsync("Dev A", Storage.Downlinks.DownlinkKind.RpcRequest, id,
            Encoding.UTF8.GetBytes("{\"id\":" + id + ",\"method\":\"" + method + "\",\"params\":{\"pin\":\"23\",\"value\":1}}"), ttl ?? TimeSpan.FromMinutes(1));

    private void Ack(CoapMessage notification)
    {
        if (notification.Type == CoapMessageType.Confirmable) _device.Transport.Deliver(CoapCodec.Encode(CoapMessage.EmptyAck(notification.MessageId)), _device.Address);
    }

    [Fact]
    public async Task Observe_First203Empty_ThenQueuedRpcAsNotification_MarkedDeliveredOnAck()
    {
        var token = await _gateway.AddDeviceAsync("Dev A");
        await QueueRpcAsync(5, "setGpio"); // queued while the device slept

        var first = await _device.GetAsync($"api/v1/{token}/rpc", CoapOption.FromUInt(CoapOptionNumber.Observe, 0));
        Assert.Equal("2.03", Answer.Code(first));
        Assert.True(first.Payload.IsEmpty);
        Assert.Equal(0u, Answer.Option(first, CoapOptionNumber.Observe));

        var rpc = _device.Receive(TimeSpan.FromSeconds(5));
        Assert.NotNull(rpc);
        Assert.Equal("2.05", Answer.Code(rpc));
        Assert.Equal("""{"id":5,"method":"setGpio","params":{"pin":"23","value":1}}""", Answer.Text(rpc));
        Assert.Equal(1u, Answer.Option(rpc, CoapOptionNumber.Observe));
        Assert.Equal(CoapMessageType.Confirmable, rpc.Type); // CON registration → CON notifications
        Ack(rpc);
        await WaitAsync(async () => (await _gateway.Downlinks.PendingAsync("Dev A")).Single().Status == DownlinkStatus.Delivered);
    }

    [Fact]
    public async Task RpcObserver_StoredWithoutItsToken_IsRestoredAfterARestart_AndGetsTheQueuedRpc()
    {
        var token = await _gateway.AddDeviceAsync("Dev A", token: "A1_SECRET_TOKEN");
        var first = await _device.GetAsync($"api/v1/{token}/rpc", CoapOption.FromUInt(CoapOptionNumber.Observe, 0));
        Assert.Equal("2.03", Answer.Code(first));
        var saved = Assert.Single(_device.Endpoint.ExportObservations());
        // reliability.md S6: what is stored holds the device, never the token.
        Assert.Equal(("/api/v1/-/rpc", "Dev A", "Rpc:Dev A"), (saved.Target, saved.State, saved.Identity));
        Assert.DoesNotContain("SECRET", saved.ToString(), StringComparison.Ordinal);

        _device.Dispose();
        _gateway.Restart();
        await QueueRpcAsync(21, "setGpio"); // queued while the gateway was down
        using var restarted = new CoapDevice(_gateway.Server);
        var relation = await restarted.Endpoint.RestoreObservationAsync(saved);
        Assert.NotNull(relation);

        // The pending RPC goes out on the restored relation: the device's token, a fresher Observe number, CON.
        var rpc = restarted.Receive(TimeSpan.FromSeconds(5));
        Assert.NotNull(rpc);
        Assert.Equal(first.Token.ToArray(), rpc.Token.ToArray());
        Assert.Equal("""{"id":21,"method":"setGpio","params":{"pin":"23","value":1}}""", Answer.Text(rpc));
        Assert.Equal(CoapMessageType.Confirmable, rpc.Type);
        Assert.True(Answer.Option(rpc, CoapOptionNumber.Observe) > (1u << 22));
        restarted.Transport.Deliver(CoapCodec.Encode(CoapMessage.EmptyAck(rpc.MessageId)), restarted.Address);
        await WaitAsync(async () => (await _gateway.Downlinks.PendingAsync("Dev A")).Single().Status == DownlinkStatus.Delivered);

        // A device deleted meanwhile: the relation is not restored.
        Assert.True(await _gateway.Devices.RemoveAsync("Dev A"));
        using var again = new CoapDevice(_gateway.Server, new System.Net.IPEndPoint(System.Net.IPAddress.Parse("192.0.2.10"), 40001));
        Assert.Null(await again.Endpoint.RestoreObservationAsync(saved));
    }

    [Fact]
    public async Task SignalledRpc_ReachesLiveObserver()
    {
        var token = await _gateway.AddDeviceAsync("Dev A");
        await _device.GetAsync($"api/v1/{token}/rpc", CoapOption.FromUInt(CoapOptionNumber.Observe, 0));

        await QueueRpcAsync(9, "reboot");
        _gateway.Signal.Notify(new DownlinkEvent("Dev A", Domain.DownlinkKind.Rpc));

        var rpc = _device.Receive(TimeSpan.FromSeconds(5));
        Assert.Equal("""{"id":9,"method":"reboot","params":{"pin":"23","value":1}}""", Answer.Text(rpc!));
        Ack(rpc!);
    }

    [Fact]
    public async Task Reply_Answers201_RowAndRpcCompleted()
    {
        var token = await _gateway.AddDeviceAsync("Dev A");
        await QueueRpcAsync(5, "setGpio");

        var response = await _device.PostAsync($"api/v1/{token}/rpc/5", """{"pin":"23","value":1,"result":"ok"}""");

        Assert.Equal("2.01", Answer.Code(response));
        Assert.Equal(["""RpcReply Dev A {"id":5,"data":{"pin":"23","value":1,"result":"ok"}}"""], await _gateway.RowTextsAsync(OutboxMessageKind.RpcReply));
        Assert.Empty(await _gateway.Downlinks.PendingAsync("Dev A"));
    }

    [Theory]
    [InlineData("rpc/abc", """{"a":1}""", "4.00")]   // non-numeric id
    [InlineData("rpc/5", "{", "4.00")]               // malformed JSON
    [InlineData("rpc/5", "[1]", "5.00")]             // valid JSON, not an object (§2.4)
    [InlineData("foo/5", """{"a":1}""", "4.00")]     // reply path under another feature
    public async Task Reply_Errors(string path, string payload, string code)
    {
        var token = await _gateway.AddDeviceAsync("Dev A");
        Assert.Equal(code, Answer.Code(await _device.PostAsync($"api/v1/{token}/{path}", payload)));
    }

    [Fact]
    public async Task Expired_ReportedUpstreamAsTimeout()
    {
        await _gateway.AddDeviceAsync("Dev A");
        await QueueRpcAsync(7, "sleepy", TimeSpan.FromSeconds(30));
        _gateway.Time.Advance(TimeSpan.FromMinutes(1));

        var reported = await _gateway.Services.GetRequiredService<Gateway.Devices.ThingsBoard.RpcExpiryReporter>().SweepOnceAsync();

        Assert.Equal(1, reported);
        Assert.Equal(["""RpcReply Dev A {"id":7,"data":{"error":"timeout"}}"""], await _gateway.RowTextsAsync(OutboxMessageKind.RpcReply));
    }

    [Fact]
    public async Task ClientRpc_GetCurrentTime_AnsweredLocally()
    {
        var token = await _gateway.AddDeviceAsync("Dev A");

        var response = await _device.PostAsync($"api/v1/{token}/rpc", """{"method":"getCurrentTime","params":{}}""");

        Assert.Equal("2.05", Answer.Code(response));
        Assert.Equal("""{"time":1700000000000}""", Answer.Text(response));
    }

    [Fact]
    public async Task ClientRpc_OtherMethod_ForwardedWithTheDeviceName_CloudReplyAnswered205()
    {
        var token = await _gateway.AddDeviceAsync("Dev A");
        _gateway.Cloud.IsConnected = true;
        _gateway.Cloud.RpcAnswer = (device, method, p) => new JsonObject { ["city"] = p?["city"]?.GetValue<string>(), ["temp"] = 21.5 };

        var response = await _device.PostAsync($"api/v1/{token}/rpc", """{"method":"getWeather","params":{"city":"Oslo"}}""");

        Assert.Equal("2.05", Answer.Code(response));
        Assert.Equal("""{"city":"Oslo","temp":21.5}""", Answer.Text(response));
        Assert.Equal(["""Dev A getWeather {"city":"Oslo"}"""], _gateway.Cloud.Rpcs);
        Assert.Equal(CoapContentFormat.Json, Answer.Option(response, CoapOptionNumber.ContentFormat));
        Assert.Equal("4.00", Answer.Code(await _device.PostAsync($"api/v1/{token}/rpc", """{"params":{}}""")));
        Assert.Single(_gateway.Cloud.Rpcs); // a malformed request never reaches the cloud
    }

    [Fact]
    public async Task ClientRpc_LinkDown_503WithMaxAgeAndErrorJson_NothingForwarded()
    {
        var token = await _gateway.AddDeviceAsync("Dev A");
        _gateway.Cloud.IsConnected = false;

        var response = await _device.PostAsync($"api/v1/{token}/rpc", """{"method":"getWeather","params":{}}""");

        Assert.Equal("5.03", Answer.Code(response));
        Assert.Equal("""{"error":"cloud unavailable"}""", Answer.Text(response));
        Assert.Equal(10u, Answer.Option(response, CoapOptionNumber.MaxAge));
        Assert.Empty(_gateway.Cloud.Rpcs);

        // The link drops while the call waits (the link answers null early): unavailable too, not a timeout.
        _gateway.Cloud.IsConnected = true;
        _gateway.Cloud.RpcAnswer = (_, _, _) => { _gateway.Cloud.IsConnected = false; return null; };
        var dropped = await _device.PostAsync($"api/v1/{token}/rpc", """{"method":"getWeather","params":{}}""");
        Assert.Equal("5.03", Answer.Code(dropped));
        Assert.Equal("""{"error":"cloud unavailable"}""", Answer.Text(dropped));
        Assert.Single(_gateway.Cloud.Rpcs);
    }

    [Fact]
    public async Task ClientRpc_CloudSilent_504ErrorJsonAfterTheBoundedWait()
    {
        var token = await _gateway.AddDeviceAsync("Dev A");
        _gateway.Cloud.IsConnected = true;
        _gateway.Cloud.Hang = true; // ClientRpcTimeout is 300 ms in the test gateway

        var started = DateTime.UtcNow;
        var response = await _device.PostAsync($"api/v1/{token}/rpc", """{"method":"getWeather"}""");

        Assert.Equal("5.04", Answer.Code(response));
        Assert.Equal("""{"error":"cloud timeout"}""", Answer.Text(response));
        Assert.True(DateTime.UtcNow - started >= TimeSpan.FromMilliseconds(250));
        Assert.Equal(["Dev A getWeather null"], _gateway.Cloud.Rpcs); // no params → null in the envelope
    }

    private static async Task WaitAsync(Func<Task<bool>> condition)
    {
        for (int i = 0; i < 100; i++)
        {
            if (await condition()) return;
            await Task.Delay(50);
        }
        Assert.Fail("condition not met in 5 s");
    }
}
