using System.Net;
using System.Text;
using Gateway.Coap.Codec;
using Gateway.Coap.Messages;
using Gateway.Devices.Tests.Support;
using Gateway.Domain;
using Gateway.Storage.Downlinks;
using Gateway.Storage.Outbox;
using SignalKind = Gateway.Domain.DownlinkKind;
using QueueKind = Gateway.Storage.Downlinks.DownlinkKind;

namespace Gateway.Devices.Tests.Http;

/// <summary>
/// One device on both transports at once (issue 9): the CoAP resources (<c>ThingsBoardCoapResources.MapTo</c> on a real
/// <c>CoapEndpoint</c> over the in-memory datagram transport) and the HTTP listener share services, storage and signal.
/// </summary>
public sealed class MixedTransportTests : IAsyncLifetime
{
    private readonly Support.Gateway _gateway = new();
    private CoapDevice _coap = null!;
    private HttpHost _http = null!;
    private string _token = "";

    public async Task InitializeAsync()
    {
        _coap = new CoapDevice(_gateway.Server);
        _http = await HttpHost.StartAsync(_gateway);
        _token = await _gateway.AddDeviceAsync("Dev A");
    }

    public async Task DisposeAsync()
    {
        await _http.DisposeAsync();
        _coap.Dispose();
        _gateway.Dispose();
    }

    private Task<long> QueueRpcAsync(long id) =>
        _gateway.Downlinks.EnqueueAsync("Dev A", QueueKind.RpcRequest, id, Encoding.UTF8.GetBytes("{\"id\":" + id + ",\"method\":\"toggle\",\"params\":null}"), TimeSpan.FromMinutes(5));

    [Fact]
    public async Task TelemetryOverCoap_RpcOverHttp_ReplyOverCoap()
    {
        Assert.Equal("2.01", Answer.Code(await _coap.PostAsync($"api/v1/{_token}/telemetry", """{"t":1}""")));

        var poll = _http.Client.GetAsync($"/api/v1/{_token}/rpc?timeout=20000");
        await _http.WaitForPollsAsync(1);
        await QueueRpcAsync(11);
        _gateway.Signal.Notify(new DownlinkEvent("Dev A", SignalKind.Rpc));
        var rpc = await poll;
        Assert.Equal("""{"id":11,"method":"toggle","params":null}""", await rpc.Content.ReadAsStringAsync());

        Assert.Equal("2.01", Answer.Code(await _coap.PostAsync($"api/v1/{_token}/rpc/11", """{"done":true}""")));
        Assert.Equal(["DeviceConnect Dev A {\"type\":\"default\"}", "Telemetry Dev A [{\"ts\":1700000000000,\"values\":{\"t\":1}}]", "RpcReply Dev A {\"id\":11,\"data\":{\"done\":true}}"],
            await _gateway.RowTextsAsync());
        Assert.DoesNotContain(await _gateway.Downlinks.PendingAsync("Dev A"), d => d.Status != DownlinkStatus.Completed);
    }

    [Fact]
    public async Task TelemetryOverHttp_RpcOverCoapObserve_ReplyOverHttp()
    {
        Assert.Equal(HttpStatusCode.OK, (await _http.Client.PostAsync($"/api/v1/{_token}/telemetry", new StringContent("""{"t":2}"""))).StatusCode);
        Assert.Equal("2.03", Answer.Code(await _coap.GetAsync($"api/v1/{_token}/rpc", CoapOption.FromUInt(CoapOptionNumber.Observe, 0))));

        await QueueRpcAsync(12);
        _gateway.Signal.Notify(new DownlinkEvent("Dev A", SignalKind.Rpc));
        var notification = _coap.Receive(TimeSpan.FromSeconds(5));
        Assert.NotNull(notification);
        Assert.Equal("""{"id":12,"method":"toggle","params":null}""", Answer.Text(notification));
        if (notification.Type == CoapMessageType.Confirmable) _coap.Transport.Deliver(CoapCodec.Encode(CoapMessage.EmptyAck(notification.MessageId)), _coap.Address);

        Assert.Equal(HttpStatusCode.OK, (await _http.Client.PostAsync($"/api/v1/{_token}/rpc/12", new StringContent("""{"done":1}"""))).StatusCode);
        Assert.Equal(["Telemetry Dev A [{\"ts\":1700000000000,\"values\":{\"t\":2}}]", "RpcReply Dev A {\"id\":12,\"data\":{\"done\":1}}"],
            (await _gateway.RowTextsAsync()).Where(r => !r.StartsWith("DeviceConnect", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task AttributeUpdate_ReachesCoapObserverAndHttpPoll()
    {
        var first = await _coap.GetAsync($"api/v1/{_token}/attributes", CoapOption.FromUInt(CoapOptionNumber.Observe, 0));
        Assert.Equal("2.05", Answer.Code(first));
        var poll = _http.Client.GetAsync($"/api/v1/{_token}/attributes/updates?timeout=20000");
        await _http.WaitForPollsAsync(1);

        _gateway.Signal.Notify(new DownlinkEvent("Dev A", SignalKind.SharedAttributes, """{"mode":"eco"}"""u8.ToArray()));

        Assert.Equal("""{"mode":"eco"}""", await (await poll).Content.ReadAsStringAsync());
        var notification = _coap.Receive(TimeSpan.FromSeconds(5));
        Assert.Equal("""{"mode":"eco"}""", Answer.Text(notification!));
    }
}
