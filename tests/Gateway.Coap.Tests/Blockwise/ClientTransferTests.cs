using System.Net;
using Gateway.Coap.Messages;
using Gateway.Coap.Observe;
using Gateway.Coap.Server;
using Gateway.Coap.Tests.Observe;
using Gateway.Coap.Transport;
using Gateway.TestKit;

namespace Gateway.Coap.Tests.Blockwise;

/// <summary>Our client's block-wise requests and observations against our server over an in-memory network.</summary>
public sealed class ClientTransferTests : IDisposable
{
    private static readonly IPEndPoint ServerAddress = new(IPAddress.Parse("10.0.1.1"), 5683);
    private static readonly IPEndPoint ClientAddress = new(IPAddress.Parse("10.0.1.2"), 50000);
    private static readonly byte[] Large = [.. Enumerable.Range(0, 5000).Select(i => (byte)(i * 31 + 7))];
    private readonly InMemoryNetwork _network = new();
    private readonly ManualTimeProvider _time = new();
    private readonly CoapEndpoint _server;
    private readonly CoapEndpoint _client;
    private readonly SensorResource _sensor = new();
    private byte[] _uploaded = [];

    public ClientTransferTests()
    {
        var tree = new CoapServer();
        tree.Add("", new DelegateResource("large").On(CoapCode.Get, _ => CoapResponse.WithFormat(CoapCode.Content, Large, CoapContentFormat.OctetStream)));
        tree.Add("", new DelegateResource("upload").On(CoapCode.Put, r =>
        {
            _uploaded = r.Payload.ToArray();
            return CoapResponse.Text(CoapCode.Changed, $"{_uploaded.Length}");
        }));
        tree.Add("", _sensor);
        _server = new CoapEndpoint(new InMemoryDatagramTransport(ServerAddress, _network), tree, new CoapEndpointOptions { ReceiveThreads = 1, PreferredBlockSize = 256 }, _time);
        _client = new CoapEndpoint(new InMemoryDatagramTransport(ClientAddress, _network), null, new CoapEndpointOptions { ReceiveThreads = 1 }, _time);
        _server.Start();
        _client.Start();
    }

    private static CoapOption[] Path(string path) => [.. path.Split('/').Select(s => CoapOption.FromString(CoapOptionNumber.UriPath, s))];

    [Fact]
    public async Task BlockwiseGet_ReturnsTheWholeBody()
    {
        var response = await _client.RequestAsync(ServerAddress, CoapCode.Get, Path("large")).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(CoapCode.Content, response.Code);
        Assert.Equal(Large, response.Payload.ToArray());
        Assert.Null(response.GetOption(CoapOptionNumber.Block2));
        Assert.Equal(20L, _server.Statistics.Block2CacheHits + 1); // 5000 / 256 → 20 blocks, the first computed
    }

    [Fact]
    public async Task BlockwisePut_SendsBlock1Blocks_FollowingTheServersSmallerSize()
    {
        var response = await _client.RequestAsync(ServerAddress, CoapCode.Put, Path("upload"), Large).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal((CoapCode.Changed, "5000"), (response.Code, System.Text.Encoding.UTF8.GetString(response.Payload.Span)));
        Assert.Equal(Large, _uploaded);
        // First block 512 bytes (client preference), then 256 as the server asked: 1 + (5000 - 512) / 256 rounded up = 19 blocks.
        Assert.Equal(18L, _server.Statistics.Block1Continues);
    }

    [Fact]
    public async Task Observe_YieldsTheFirstResponseAndNotifications_AndCancellingDeregisters()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var values = new List<string>();
        await foreach (var message in _client.ObserveAsync(ServerAddress, Path("temp"), cancellationToken: cts.Token))
        {
            values.Add(System.Text.Encoding.UTF8.GetString(message.Payload.Span));
            if (values.Count == 4) break;
            _sensor.Value = $"{21 + values.Count - 1}";
            // The relation is registered before the first response leaves; notify the next state only
            // once the previous CON notification is ACKed: a newer one would otherwise replace it at its
            // next retransmission (RFC 7641 §4.5.2), and this test's manual clock never gets there.
            await WaitUntil(() => _sensor.ObserverCount == 1 && _server.PendingConfirmables == 0);
            _sensor.NotifyObservers();
        }
        Assert.Equal(["20", "21", "22", "23"], values);
        // The resource is told after the relation left its list: wait for the callback, not the count.
        await WaitUntil(() => _sensor.ObserverCount == 0 && _sensor.Removed.Count > 0);
        Assert.Equal(ObserveRemovalReason.Deregistered, Assert.Single(_sensor.Removed).Reason);
    }

    [Fact]
    public async Task Observe_LargeNotification_IsCompletedWithBlock2()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var values = new List<int>();
        await foreach (var message in _client.ObserveAsync(ServerAddress, Path("temp"), cancellationToken: cts.Token))
        {
            values.Add(message.Payload.Length);
            if (values.Count == 2) break;
            await WaitUntil(() => _sensor.ObserverCount == 1);
            _sensor.Value = new string('v', 1000);
            _sensor.NotifyObservers();
        }
        Assert.Equal([2, 1000], values);
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        for (int i = 0; i < 500 && !condition(); i++) await Task.Delay(10);
        Assert.True(condition());
    }

    public void Dispose()
    {
        _client.Dispose();
        _server.Dispose();
    }
}

public class ObserveSequenceTests
{
    private static readonly TimeSpan T0 = TimeSpan.FromSeconds(1000);

    [Theory]
    [InlineData(1u, 2u, true)]
    [InlineData(2u, 1u, false)]
    [InlineData(5u, 5u, false)]
    [InlineData(0xFFFFFFu, 0u, true)]         // wrapped: 2^24 − 1 → 0 is newer
    [InlineData(0u, 0xFFFFFFu, false)]
    [InlineData(0u, 0x7FFFFFu, true)]         // just under 2^23 ahead
    [InlineData(0u, 0x800001u, false)]        // more than 2^23 ahead reads as older
    public void Ordering_FollowsRfc7641Section34(uint v1, uint v2, bool newer) =>
        Assert.Equal(newer, ObserveSequence.IsNewer(v1, T0, v2, T0 + TimeSpan.FromSeconds(1)));

    [Fact]
    public void After128Seconds_AnyNumberIsNewer() =>
        Assert.True(ObserveSequence.IsNewer(10, T0, 3, T0 + TimeSpan.FromSeconds(129)));
}
