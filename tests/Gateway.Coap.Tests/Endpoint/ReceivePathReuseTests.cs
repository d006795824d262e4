using System.Net;
using System.Net.Sockets;
using System.Text;
using Gateway.Coap.Codec;
using Gateway.Coap.Messages;
using Gateway.Coap.Server;
using Gateway.Coap.Tests.Observe;
using Gateway.Coap.Transport;

namespace Gateway.Coap.Tests.Endpoint;

/// <summary>
/// The receive path decodes every datagram into one reused message and request per thread (issue 2:
/// no allocation per datagram). These pin what that reuse must never break: a handler that goes
/// asynchronous keeps its own request, nothing of one request leaks into the next, an observe
/// relation keeps its registration, and a steady stream of requests allocates nothing.
/// </summary>
public class ReceivePathReuseTests
{
    private static readonly IPEndPoint OtherDevice = new(IPAddress.Parse("192.0.2.11"), 40100);

    private static CoapMessage Request(CoapCode method, ushort messageId, string path, string? query = null, string? payload = null, byte token = 0x5A) =>
        new(CoapMessageType.Confirmable, method, messageId, new[] { token },
            [.. path.Split('/').Select(s => CoapOption.FromString(CoapOptionNumber.UriPath, s)),
             .. (query is null ? [] : new[] { CoapOption.FromString(CoapOptionNumber.UriQuery, query) })],
            payload is null ? default : Encoding.UTF8.GetBytes(payload));

    [Fact]
    public void AsynchronousHandler_KeepsItsOwnRequest_WhileTheSameThreadDecodesOthers()
    {
        var release = new TaskCompletionSource();
        var handler = new ScriptedHandler
        {
            // POST waits; everything it reads is read only after other datagrams went through the same context.
            Respond = request => request.Method == CoapCode.Post
                ? EchoLater(request, release.Task)
                : new(CoapResponse.Text(CoapCode.Content, "fast " + Encoding.UTF8.GetString(request.Payload.Span))),
        };
        using var h = new EndpointHarness(handler);

        h.Send(Request(CoapCode.Post, 0x0100, "slow/one", "x=1", "first body", token: 0x01));
        h.ExpectNothing();
        for (int i = 0; i < 5; i++)
        {
            h.Send(Request(CoapCode.Get, (ushort)(0x0200 + i), "fast/other/deeper/path", "y=22222", $"noise {i} {new string('z', 40)}", token: 0x02), OtherDevice);
            Assert.Equal($"fast noise {i} {new string('z', 40)}", Opt.Text(h.Expect(OtherDevice)));
        }

        release.SetResult();
        var response = h.Expect();
        Assert.Equal((CoapMessageType.Acknowledgement, (ushort)0x0100, "01"), (response.Type, response.MessageId, Hex.Of(response.Token.Span)));
        Assert.Equal("/slow/one?x=1 [first body] from 192.0.2.10:40000 key 192.0.2.10:40000#256", Opt.Text(response));

        static async ValueTask<CoapResponse> EchoLater(CoapRequest request, Task release)
        {
            await release;
            return CoapResponse.Text(CoapCode.Changed,
                $"/{string.Join('/', request.Path)}?{string.Join('&', request.Query)} [{Encoding.UTF8.GetString(request.Payload.Span)}] " +
                $"from {request.Peer} key {request.ExchangeKey}");
        }
    }

    [Fact]
    public void AsynchronousResponse_MayAliasItsRequestPayload()
    {
        // A handler may answer with (a slice of) the request payload it was given: the endpoint encodes the
        // response elsewhere than into the request's own datagram buffer.
        var handler = new ScriptedHandler { Respond = request => Echo(request) };
        using var h = new EndpointHarness(handler);
        var body = Encoding.UTF8.GetBytes(new string('e', 200) + "end");
        h.Send(Request(CoapCode.Post, 0x0300, "echo", payload: Encoding.UTF8.GetString(body)));
        var response = h.Expect();
        Assert.Equal((CoapCode.Changed, (ushort)0x0300), (response.Code, response.MessageId));
        Assert.Equal(body, response.Payload.ToArray());

        static async ValueTask<CoapResponse> Echo(CoapRequest request)
        {
            await Task.Yield();
            return new CoapResponse(CoapCode.Changed, request.Payload);
        }
    }

    [Fact]
    public void AnAsynchronousExchangesRequest_IsReusedOnceTheExchangeIsComplete_NotBefore()
    {
        var gates = new Dictionary<ushort, TaskCompletionSource>();
        var seen = new Dictionary<ushort, CoapRequest>();
        var handler = new ScriptedHandler
        {
            Respond = request =>
            {
                seen[request.MessageId] = request;
                return Later(request, gates[request.MessageId] = new TaskCompletionSource());
            },
        };
        using var h = new EndpointHarness(handler);

        h.Send(Request(CoapCode.Post, 1, "a/one", payload: "first"));
        h.Send(Request(CoapCode.Post, 2, "b/two", payload: "second"));
        h.Send(Request(CoapCode.Post, 3, "c/three", payload: "third")); // the receive path takes new ones: nothing was given back yet
        Assert.Equal(3, seen.Values.Distinct().Count());

        gates[1].SetResult();
        Assert.Equal("a/one first", Opt.Text(h.Expect()));
        // Given back right after its answer left (on whichever thread completed it).
        Assert.True(SpinWait.SpinUntil(() => h.Endpoint.SpareRequestCount == 1, TimeSpan.FromSeconds(5)), "the first exchange's request was not given back");
        h.Send(Request(CoapCode.Post, 4, "d/four", payload: "fourth")); // a new one again; going async, the thread takes the first's
        h.Send(Request(CoapCode.Post, 5, "e/five", payload: "fifth"));
        Assert.Same(seen[1], seen[5]);
        Assert.DoesNotContain(seen[1], new[] { seen[2], seen[3], seen[4] });

        foreach (ushort id in new ushort[] { 3, 2, 5, 4 }) gates[id].SetResult();
        Assert.Equal(["b/two second", "c/three third", "d/four fourth", "e/five fifth"], Enumerable.Range(0, 4).Select(_ => Opt.Text(h.Expect())).Order());

        static async ValueTask<CoapResponse> Later(CoapRequest request, TaskCompletionSource gate)
        {
            await gate.Task.ConfigureAwait(false);
            return CoapResponse.Text(CoapCode.Changed, $"{string.Join('/', request.Path)} {Encoding.UTF8.GetString(request.Payload.Span)}");
        }
    }

    /// <summary>
    /// Real threads: asynchronous exchanges complete in random order while others arrive, and requests given back are
    /// taken again. Every handler reads its request once more at the end, and no request object is ever held by two
    /// exchanges at once.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task ReusedRequests_NeverServeTwoExchangesAtOnce(int seed)
    {
        const int Requests = 3_000;
        var random = new Random(seed);
        var inFlight = new System.Collections.Concurrent.ConcurrentDictionary<CoapRequest, ushort>(ReferenceEqualityComparer.Instance);
        var objects = new System.Collections.Concurrent.ConcurrentDictionary<CoapRequest, bool>(ReferenceEqualityComparer.Instance);
        var delays = Enumerable.Range(0, Requests).Select(_ => random.Next(0, 4)).ToArray();
        int clashes = 0, corrupted = 0, sent = 0, done = 0;
        var handler = new ScriptedHandler
        {
            Respond = request =>
            {
                if (!inFlight.TryAdd(request, request.MessageId)) Interlocked.Increment(ref clashes);
                objects.TryAdd(request, true);
                return Check(request);
            },
        };
        using var h = new EndpointHarness(handler);

        await Parallel.ForAsync(0, Requests, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (i, _) =>
        {
            // At most 64 in flight, so exchanges complete while others arrive and their requests are taken again.
            while (Volatile.Read(ref sent) - Volatile.Read(ref done) >= 64) await Task.Yield();
            Interlocked.Increment(ref sent);
            h.Send(Request(CoapCode.Post, (ushort)i, $"dev/{i}", payload: $"body {i}"), new IPEndPoint(EndpointHarness.Device.Address, 20000 + i % 8));
        });
        var answers = new List<string>();
        int misdirected = 0;
        while (answers.Count < Requests && h.Transport.TryTakeSent(out var bytes, out var to, TimeSpan.FromSeconds(10)))
        {
            Assert.True(CoapCodec.TryDecode(bytes, out var message, out _));
            answers.Add(Opt.Text(message));
            // The exchanges (and their address buffers) are reused too: each answer goes to the port its request came from.
            if (to.Port != 20000 + message.MessageId % 8) misdirected++;
        }

        Assert.Equal(0, clashes);
        Assert.Equal(0, corrupted);
        Assert.Equal(0, misdirected);
        Assert.Equal(Enumerable.Range(0, Requests).Select(i => $"dev/{i} body {i}").Order(), answers.Order());
        Assert.InRange(objects.Count, 1, Requests / 2); // taken again: far fewer objects than requests

        async ValueTask<CoapResponse> Check(CoapRequest request)
        {
            ushort id = request.MessageId;
            string expected = $"dev/{id} body {id}";
            if (delays[id] == 0) await Task.Yield();
            else await Task.Delay(delays[id]);
            string text = $"{string.Join('/', request.Path)} {Encoding.UTF8.GetString(request.Payload.Span)}";
            if (text != expected || request.MessageId != id) Interlocked.Increment(ref corrupted);
            inFlight.TryRemove(request, out ushort _);
            Interlocked.Increment(ref done);
            return CoapResponse.Text(CoapCode.Changed, text);
        }
    }

    [Fact]
    public void RouteValuesQueryAndPath_DoNotLeakFromOneRequestIntoTheNext()
    {
        var server = new CoapServer();
        static CoapResponse Describe(CoapRequest r) => CoapResponse.Text(CoapCode.Content,
            $"{string.Join('/', r.Path)} route={string.Join(',', r.RouteValues.Select(v => $"{v.Key}:{v.Value}"))} query={string.Join('&', r.Query)} " +
            $"cf={r.ContentFormat?.ToString() ?? "-"} bytes={r.Payload.Length}");
        server.Add("dev/{id}", new DelegateResource("state").On(CoapCode.Post, Describe));
        server.Add("", new DelegateResource("plain").On(CoapCode.Get, Describe));
        using var h = new EndpointHarness(server);

        h.Send(new CoapMessage(CoapMessageType.Confirmable, CoapCode.Post, 1, new byte[] { 1 },
            [CoapOption.FromString(CoapOptionNumber.UriPath, "dev"), CoapOption.FromString(CoapOptionNumber.UriPath, "abc"),
             CoapOption.FromString(CoapOptionNumber.UriPath, "state"), CoapOption.FromUInt(CoapOptionNumber.ContentFormat, 50),
             CoapOption.FromString(CoapOptionNumber.UriQuery, "q=1")], "{}"u8.ToArray()));
        Assert.Equal("dev/abc/state route=id:abc query=q=1 cf=50 bytes=2", Opt.Text(h.Expect()));

        h.Send(Request(CoapCode.Get, 2, "plain"));
        Assert.Equal("plain route= query= cf=- bytes=0", Opt.Text(h.Expect()));

        h.Send(Request(CoapCode.Post, 3, "dev/x/state"));
        Assert.Equal("dev/x/state route=id:x query= cf=- bytes=0", Opt.Text(h.Expect()));
    }

    [Fact]
    public void ObserveRelation_KeepsItsRegistration_AfterTheReceivePathHasMovedOn()
    {
        var tree = new CoapServer();
        var rpc = tree.Add("api/v1/{token}", new RpcResource());
        tree.Add("api/v1/{token}", new DelegateResource("telemetry").On(CoapCode.Post, _ => CoapResponse.Empty(CoapCode.Created)));
        using var h = new EndpointHarness(tree);

        h.Send(EndpointHarness.Get(0x7001, "api/v1/DEV1/rpc", [0x77], extra: Opt.Observe(0)));
        Assert.Equal(CoapCode.Valid, h.Expect().Code);
        for (ushort i = 0; i < 3; i++)
        {
            h.Send(Request(CoapCode.Post, (ushort)(0x7100 + i), "api/v1/OTHER-DEVICE-TOKEN/telemetry", "a=b", "{\"t\":1}"));
            Assert.Equal(CoapCode.Created, h.Expect().Code);
        }

        var relation = Assert.Single(rpc.Relations);
        var registration = relation.CreateRequest();
        Assert.Equal("DEV1", registration.RouteValues["token"]);
        Assert.Equal(["api", "v1", "DEV1", "rpc"], registration.Path);
        Assert.Same(relation, rpc.FindRelation("DEV1"));
    }

    [Fact]
    public void DecodingIntoAReusableMessage_GivesTheSameFieldsAsAFreshDecode_ForEveryOptionCount()
    {
        var reusable = CoapMessage.CreateReusable();
        // 0..20 options: past the 16 per-count arrays kept, and back down, so a longer array never shows through.
        foreach (int count in Enumerable.Range(0, 21).Concat(Enumerable.Range(0, 21).Reverse()))
        {
            var sent = new CoapMessage(CoapMessageType.NonConfirmable, CoapCode.Put, (ushort)count, new byte[] { (byte)count },
                [.. Enumerable.Range(0, count).Select(i => CoapOption.FromString(CoapOptionNumber.UriQuery, $"k{i}={count}"))],
                count % 2 == 0 ? default : new byte[] { 0xC0, (byte)count });
            var bytes = CoapCodec.Encode(sent);
            Assert.True(CoapCodec.TryDecode(bytes, reusable, out var decoded, out _));
            Assert.Same(reusable, decoded);
            Assert.True(CoapCodec.TryDecode(bytes, out var fresh, out _));
            Assert.Equal(fresh.ToString(), decoded.ToString());
            Assert.Equal(fresh.Options, decoded.Options);
            Assert.Equal(Hex.Of(CoapCodec.Encode(fresh)), Hex.Of(CoapCodec.Encode(decoded)));
        }
    }

    [Fact]
    public void SteadyStateRequests_AllocateNothingOnTheReceiveThread()
    {
        var server = new CoapServer();
        var cached = CoapResponse.Text(CoapCode.Content, "21.5");
        server.Add("sensors", new DelegateResource("temp").On(CoapCode.Get, _ => cached));
        var request = CoapCodec.Encode(new CoapMessage(CoapMessageType.Confirmable, CoapCode.Get, 0, new byte[] { 1, 2, 3, 4 },
            [CoapOption.FromString(CoapOptionNumber.UriPath, "sensors"), CoapOption.FromString(CoapOptionNumber.UriPath, "temp"),
             CoapOption.FromUInt(CoapOptionNumber.Accept, 0)]));
        using var transport = new ReplayTransport(request, warmup: 20_000, measured: 20_000);
        using var endpoint = new CoapEndpoint(transport, server, new CoapEndpointOptions { ReceiveThreads = 1 });
        endpoint.Start();

        Assert.True(transport.Finished.Wait(TimeSpan.FromSeconds(60)), "the receive loop did not get through the requests");
        // Every request was answered 2.05 with the cached payload: the loop did the work it was measured on.
        Assert.Equal(40_000, transport.ContentResponses);
        Assert.True(transport.AllocatedBytes < 20_000, $"{transport.AllocatedBytes} bytes allocated on the receive thread for 20,000 requests");
    }

    [Fact]
    public void SteadyStateDiscovery_InBlocks_AllocatesNothingOnTheReceiveThread()
    {
        // A listing longer than one 32-byte discovery block (RFC 7252 §11.3), so every GET is block 0 of a Block2 body.
        var server = new CoapServer();
        foreach (var name in new[] { "temperature-sensor", "humidity-sensor", "pressure-sensor" })
        {
            server.Add(name, new DelegateResource("value").On(CoapCode.Get, _ => CoapResponse.Text(CoapCode.Content, "1")));
        }
        var discovery = new CoapMessage(CoapMessageType.Confirmable, CoapCode.Get, 0, new byte[] { 1, 2, 3, 4 },
            [CoapOption.FromString(CoapOptionNumber.UriPath, ".well-known"), CoapOption.FromString(CoapOptionNumber.UriPath, "core")]);
        using (var harness = new EndpointHarness(server))
        {
            harness.Send(discovery);
            var first = harness.Expect();
            Assert.Equal((CoapCode.Content, new BlockOption(0, true, 1)), (first.Code, Opt.Block2Of(first)!.Value));
        }
        using var transport = new ReplayTransport(CoapCodec.Encode(discovery), warmup: 20_000, measured: 20_000, payloadEnding: null);
        using var endpoint = new CoapEndpoint(transport, server, new CoapEndpointOptions { ReceiveThreads = 1 });
        endpoint.Start();

        Assert.True(transport.Finished.Wait(TimeSpan.FromSeconds(60)), "the receive loop did not get through the requests");
        Assert.Equal(40_000, transport.ContentResponses);
        Assert.True(transport.AllocatedBytes < 20_000, $"{transport.AllocatedBytes} bytes allocated on the receive thread for 20,000 discoveries");
    }

    /// <summary>
    /// Feeds one request over and over (a fresh Message ID each time) to the endpoint's own receive
    /// thread and measures, on that thread, the bytes allocated between the warm-up and the end.
    /// </summary>
    private sealed class ReplayTransport(byte[] request, int warmup, int measured, string? payloadEnding = "21.5") : IDatagramTransport
    {
        private static readonly SocketAddress Peer = new IPEndPoint(IPAddress.Parse("192.0.2.20"), 50000).Serialize();
        private int _next;
        private long _startBytes;
        private readonly ManualResetEventSlim _closed = new();

        public ManualResetEventSlim Finished { get; } = new();
        public long AllocatedBytes { get; private set; }
        public int ContentResponses;
        private readonly byte[]? _payloadEnding = payloadEnding is null ? null : Encoding.UTF8.GetBytes(payloadEnding);

        public AddressFamily AddressFamily => AddressFamily.InterNetwork;
        public EndPoint LocalEndPoint { get; } = new IPEndPoint(IPAddress.Parse("192.0.2.1"), 5683);

        public int Receive(Span<byte> buffer, SocketAddress remote)
        {
            if (_next == warmup) _startBytes = GC.GetAllocatedBytesForCurrentThread();
            if (_next == warmup + measured)
            {
                AllocatedBytes = GC.GetAllocatedBytesForCurrentThread() - _startBytes;
                Finished.Set();
                _closed.Wait();
                return -1;
            }
            request.CopyTo(buffer);
            buffer[2] = (byte)(_next >> 8);
            buffer[3] = (byte)_next;
            _next++;
            Peer.Buffer.Span[..Peer.Size].CopyTo(remote.Buffer.Span);
            remote.Size = Peer.Size;
            return request.Length;
        }

        public void Send(ReadOnlySpan<byte> datagram, SocketAddress remote)
        {
            // ACK, 2.05, and the payload's expected end.
            if (datagram[0] >> 4 == 0x6 && datagram[1] == CoapCode.Content.Value && (_payloadEnding is null || datagram.EndsWith(_payloadEnding))) ContentResponses++;
        }

        public void Dispose() => _closed.Set();
    }
}
