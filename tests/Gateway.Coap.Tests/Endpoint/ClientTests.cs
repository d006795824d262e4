using System.Net;
using System.Text;
using Gateway.Coap.Messages;
using Gateway.Coap.Server;
using Gateway.Coap.Transport;
using Gateway.TestKit;

namespace Gateway.Coap.Tests.Endpoint;

/// <summary>Our client endpoint against our server endpoint over an in-memory network with running receive threads.</summary>
public sealed class ClientTests : IDisposable
{
    private static readonly IPEndPoint ServerAddress = new(IPAddress.Parse("10.0.0.1"), 5683);
    private static readonly IPEndPoint ClientAddress = new(IPAddress.Parse("10.0.0.2"), 50000);
    private readonly InMemoryNetwork _network = new();
    private readonly ManualTimeProvider _time = new();
    private readonly CoapEndpoint _server;
    private readonly CoapEndpoint _client;
    private readonly TaskCompletionSource<CoapResponse> _slow = new();

    public ClientTests()
    {
        var tree = new CoapServer();
        tree.Add("", new DelegateResource("echo").On(CoapCode.Post, r => new CoapResponse(CoapCode.Changed, r.Payload.ToArray())));
        tree.Add("", new DelegateResource("slow").On(CoapCode.Get, (_, _) => new ValueTask<CoapResponse>(_slow.Task)));
        var options = new CoapEndpointOptions { ReceiveThreads = 1 };
        _server = new CoapEndpoint(new InMemoryDatagramTransport(ServerAddress, _network), tree, options, _time);
        _client = new CoapEndpoint(new InMemoryDatagramTransport(ClientAddress, _network), null, options, _time);
        _server.Start();
        _client.Start();
    }

    private static CoapOption[] Path(string path) => [.. path.Split('/').Select(s => CoapOption.FromString(CoapOptionNumber.UriPath, s))];

    [Fact]
    public async Task PiggybackedResponse_CompletesTheRequest()
    {
        var response = await _client.SendRequestAsync(ServerAddress, CoapCode.Post, Path("echo"), Encoding.UTF8.GetBytes("ping"))
            .WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(CoapCode.Changed, response.Code);
        Assert.Equal("ping", Encoding.UTF8.GetString(response.Payload.Span));
    }

    [Fact]
    public async Task NonConfirmableRequest_GetsItsResponse()
    {
        var response = await _client.SendRequestAsync(ServerAddress, CoapCode.Get, Path(".well-known/core"), confirmable: false)
            .WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(CoapMessageType.NonConfirmable, response.Type);
        Assert.Equal(CoapCode.Content, response.Code);
    }

    [Fact]
    public async Task SeparateResponse_ReachesTheClient_AndIsAcknowledged()
    {
        var request = _client.SendRequestAsync(ServerAddress, CoapCode.Get, Path("slow"));
        await WaitUntil(() => _server.Statistics.Requests == 1);
        // Step the clock until the server's empty ACK stops the client's retransmission: the request is
        // counted just before the server arms its 500 ms deadline, so one big step could come too early.
        await WaitUntil(() =>
        {
            if (_client.PendingConfirmables == 0) return true;
            _time.Advance(TimeSpan.FromMilliseconds(100));
            return false;
        });
        _slow.SetResult(CoapResponse.Text(CoapCode.Content, "late"));
        var response = await request.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(CoapMessageType.Confirmable, response.Type);
        Assert.Equal("late", Encoding.UTF8.GetString(response.Payload.Span));
        await WaitUntil(() => _server.PendingConfirmables == 0);       // the client ACKed the separate response
    }

    [Fact]
    public async Task LostDatagrams_AreRetransmitted()
    {
        int dropped = 0;
        _network.Filter = (from, to, bytes) => !(to.Equals(ServerAddress) && Interlocked.Increment(ref dropped) <= 2);
        var request = _client.SendRequestAsync(ServerAddress, CoapCode.Post, Path("echo"), new byte[] { 1 });
        // First retransmission at t0 ∈ [2 s, 3 s], the second at 3·t0 ∈ [6 s, 9 s] (§4.2 doubling).
        await WaitUntil(() => _client.PendingConfirmables == 1);
        _time.Advance(TimeSpan.FromSeconds(3));
        Assert.Equal(1, _client.Retransmissions);
        _time.Advance(TimeSpan.FromSeconds(6));
        var response = await request.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(CoapCode.Changed, response.Code);
        Assert.Equal(2, _client.Retransmissions);
    }

    [Fact]
    public async Task NoAnswer_FailsWithTimeoutAfterMaxRetransmit()
    {
        _network.Filter = (_, _, _) => false;
        var request = _client.SendRequestAsync(ServerAddress, CoapCode.Get, Path("echo"));
        for (int i = 0; i < 10; i++) _time.Advance(TimeSpan.FromSeconds(60));
        await Assert.ThrowsAsync<TimeoutException>(() => request.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(4, _client.Retransmissions);
    }

    [Fact]
    public async Task ServerWithoutHandler_AnswersReset()
    {
        // The client endpoint has no handler: a request to it is rejected with RST (§4.2).
        using var other = new CoapEndpoint(new InMemoryDatagramTransport(new IPEndPoint(IPAddress.Parse("10.0.0.3"), 5683), _network), null,
            new CoapEndpointOptions { ReceiveThreads = 1 }, _time);
        other.Start();
        await Assert.ThrowsAsync<CoapResetException>(() =>
            other.SendRequestAsync(ClientAddress, CoapCode.Get, Path("x")).WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task Cancellation_FailsTheRequestAndStopsRetransmitting()
    {
        _network.Filter = (_, _, _) => false;
        using var cts = new CancellationTokenSource();
        var request = _client.SendRequestAsync(ServerAddress, CoapCode.Get, Path("echo"), cancellationToken: cts.Token);
        await cts.CancelAsync();
        var cancelled = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => request.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(cts.Token, cancelled.CancellationToken); // the caller's cancellation, not "the endpoint was stopped"
        Assert.Equal(0, _client.PendingConfirmables);
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        for (int i = 0; i < 1000 && !condition(); i++) await Task.Delay(10);
        Assert.True(condition(), "condition not reached within 10 s");
    }

    public void Dispose()
    {
        _client.Dispose();
        _server.Dispose();
    }
}
