using System.Net;
using System.Text;
using Gateway.Domain;
using Gateway.Storage.Downlinks;
using Gateway.Storage.Outbox;
using SignalKind = Gateway.Domain.DownlinkKind;
using QueueKind = Gateway.Storage.Downlinks.DownlinkKind;

namespace Gateway.Devices.Tests.Http;

/// <summary>
/// The long polls of thingsboard.md §3 against the running listener: the change is raised the way the bridge does
/// it (stored first, then <see cref="IDownlinkSignal"/>); timeouts run on the gateway's manual clock.
/// </summary>
public sealed class LongPollTests : IAsyncLifetime
{
    private readonly Support.Gateway _gateway = new();
    private HttpHost _host = null!;
    private string _token = "";

    public async Task InitializeAsync()
    {
        _host = await HttpHost.StartAsync(_gateway, o => { o.MaxLongPollsPerDevice = 2; o.BusyRetryAfter = TimeSpan.FromSeconds(7); });
        _token = await _gateway.AddDeviceAsync("Dev A");
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        _gateway.Dispose();
    }

    private Task<long> QueueRpcAsync(long id, string method) =>
        _gateway.Downlinks.EnqueueAsync("Dev A", QueueKind.RpcRequest, id, Encoding.UTF8.GetBytes("{\"id\":" + id + ",\"method\":\"" + method + "\",\"params\":{\"pin\":4}}"), TimeSpan.FromMinutes(5));

    private static async Task<string> Describe(HttpResponseMessage response) =>
        $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";

    [Fact]
    public async Task AttributeUpdates_200WithTheFlatUpdate_BothShapes()
    {
        var poll = _host.Client.GetAsync($"/api/v1/{_token}/attributes/updates?timeout=20000");
        await _host.WaitForPollsAsync(1);
        _gateway.Signal.Notify(new DownlinkEvent("Dev B", SignalKind.SharedAttributes, """{"other":1}"""u8.ToArray())); // not ours
        _gateway.Signal.Notify(new DownlinkEvent("Dev A", SignalKind.SharedAttributes, """{"limit":6}"""u8.ToArray()));
        var response = await poll;
        Assert.Equal("""200 {"limit":6}""", await Describe(response));
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);

        poll = _host.Client.GetAsync($"/api/v1/{_token}/attributes/updates");
        await _host.WaitForPollsAsync(1);
        _gateway.Signal.Notify(new DownlinkEvent("Dev A", SignalKind.SharedAttributes, """{"deleted":["limit"]}"""u8.ToArray()));
        Assert.Equal("""200 {"deleted":["limit"]}""", await Describe(await poll));
    }

    [Fact]
    public async Task AttributeUpdates_408EmptyOnTimeout_OnTheGatewayClock()
    {
        var poll = _host.Client.GetAsync($"/api/v1/{_token}/attributes/updates?timeout=1500");
        await _host.WaitForPollsAsync(1);
        _gateway.Time.Advance(TimeSpan.FromMilliseconds(1499));
        await Task.Delay(100);
        Assert.False(poll.IsCompleted);
        _gateway.Time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal("408 ", await Describe(await poll));
        await _host.WaitForPollsAsync(0);
        Assert.Equal(0, _host.Limiter.Active);
    }

    [Fact]
    public async Task Rpc_QueuedBefore_AnsweredAtOnce_MarkedDelivered_ReplyCompletes()
    {
        await QueueRpcAsync(5, "setGpio");

        var response = await _host.Client.GetAsync($"/api/v1/{_token}/rpc?timeout=20000");

        Assert.Equal("""200 {"id":5,"method":"setGpio","params":{"pin":4}}""", await Describe(response));
        Assert.Equal(DownlinkStatus.Delivered, (await _gateway.Downlinks.PendingAsync("Dev A")).Single().Status);
        Assert.Equal(HttpStatusCode.OK, (await _host.Client.PostAsync($"/api/v1/{_token}/rpc/5", new StringContent("""{"ok":true}"""))).StatusCode);
        Assert.Equal(["""RpcReply Dev A {"id":5,"data":{"ok":true}}"""], await _gateway.RowTextsAsync(OutboxMessageKind.RpcReply));
    }

    [Fact]
    public async Task Rpc_Signalled_WakesTheWaitingPoll_OnePerPoll_InOrder()
    {
        var first = _host.Client.GetAsync($"/api/v1/{_token}/rpc?timeout=20000");
        await _host.WaitForPollsAsync(1);
        await QueueRpcAsync(1, "a");
        await QueueRpcAsync(2, "b");
        _gateway.Signal.Notify(new DownlinkEvent("Dev A", SignalKind.Rpc));

        Assert.Equal("""200 {"id":1,"method":"a","params":{"pin":4}}""", await Describe(await first));
        Assert.Equal("""200 {"id":2,"method":"b","params":{"pin":4}}""", await Describe(await _host.Client.GetAsync($"/api/v1/{_token}/rpc")));
        var third = _host.Client.GetAsync($"/api/v1/{_token}/rpc?timeout=1000");
        await _host.WaitForPollsAsync(1);
        _gateway.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal("408 ", await Describe(await third));
    }

    [Fact]
    public async Task Rpc_TwoPolls_NeverGetTheSameRpc()
    {
        var a = _host.Client.GetAsync($"/api/v1/{_token}/rpc?timeout=3000");
        var b = _host.Client.GetAsync($"/api/v1/{_token}/rpc?timeout=3000");
        await _host.WaitForPollsAsync(2);
        await QueueRpcAsync(9, "once");
        _gateway.Signal.Notify(new DownlinkEvent("Dev A", SignalKind.Rpc));
        await Task.WhenAny(a, b);
        // The other poll woke for the same signal, found nothing and waits again for the rest of its timeout; its timer
        // may be set after an advance of the fake clock, so the clock moves on until that poll has answered too.
        var both = Task.WhenAll(a, b);
        for (int i = 0; i < 100 && !both.IsCompleted; i++)
        {
            _gateway.Time.Advance(TimeSpan.FromSeconds(3));
            await Task.WhenAny(both, Task.Delay(100));
        }

        var answers = new[] { await Describe(await a), await Describe(await b) }.Order().ToList();
        Assert.Equal(["""200 {"id":9,"method":"once","params":{"pin":4}}""", "408 "], answers);
    }

    [Fact]
    public async Task PollGoneBeforeTheAnswer_RpcStaysPending()
    {
        using var cancel = new CancellationTokenSource();
        var poll = _host.Client.GetAsync($"/api/v1/{_token}/rpc?timeout=20000", cancel.Token);
        await _host.WaitForPollsAsync(1);
        cancel.Cancel(); // the device's connection drops
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => poll);
        await _host.WaitForPollsAsync(0);

        await QueueRpcAsync(3, "later");
        _gateway.Signal.Notify(new DownlinkEvent("Dev A", SignalKind.Rpc));
        await Task.Delay(200);
        Assert.Equal(DownlinkStatus.Pending, (await _gateway.Downlinks.PendingAsync("Dev A")).Single().Status);
        Assert.Equal("""200 {"id":3,"method":"later","params":{"pin":4}}""", await Describe(await _host.Client.GetAsync($"/api/v1/{_token}/rpc")));
    }

    [Fact]
    public async Task PerDeviceCap_503WithRetryAfter_OtherDevicesUnaffected()
    {
        var tokenB = await _gateway.AddDeviceAsync("Dev B");
        var polls = new[] { _host.Client.GetAsync($"/api/v1/{_token}/rpc?timeout=5000"), _host.Client.GetAsync($"/api/v1/{_token}/attributes/updates?timeout=5000") };
        await _host.WaitForPollsAsync(2);

        var third = await _host.Client.GetAsync($"/api/v1/{_token}/rpc?timeout=5000");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, third.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(7), third.Headers.RetryAfter?.Delta);
        var other = _host.Client.GetAsync($"/api/v1/{tokenB}/rpc?timeout=5000");
        await _host.WaitForPollsAsync(3);

        _gateway.Time.Advance(TimeSpan.FromSeconds(5));
        Assert.All(await Task.WhenAll([.. polls, other]), r => Assert.Equal(HttpStatusCode.RequestTimeout, r.StatusCode));
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("-5")]
    public async Task BadTimeout_400(string timeout)
    {
        var response = await _host.Client.GetAsync($"/api/v1/{_token}/rpc?timeout={timeout}");
        Assert.Equal("""400 {"error":"timeout must be a non-negative integer (milliseconds)."}""", await Describe(response));
    }

    [Fact]
    public async Task TimeoutAboveTheMaximum_IsCut()
    {
        var poll = _host.Client.GetAsync($"/api/v1/{_token}/attributes/updates?timeout=99999999");
        await _host.WaitForPollsAsync(1);
        _gateway.Time.Advance(TimeSpan.FromSeconds(120)); // HttpApiOptions.MaxPollTimeout
        Assert.Equal(HttpStatusCode.RequestTimeout, (await poll).StatusCode);
    }
}
