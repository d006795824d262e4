using System.Net;
using Gateway.Coap.Messages;
using Gateway.Coap.Observe;
using Gateway.Coap.Server;
using Gateway.Coap.Tests.Endpoint;

namespace Gateway.Coap.Tests.Observe;

/// <summary>
/// Issue 21: a Pi-sized gateway holds 10,000 relations within its footprint budget, so a relation keeps only what
/// its notifications need, not an owned copy of the registration request. Measured alone (no other test allocates
/// meanwhile): what 1,000 relations keep alive once registered, over the same endpoint before they registered
/// (the registry's index arrays and the deduplication cache's entries for the registrations included).
/// </summary>
[Collection(nameof(ObserveFootprintTests))]
[CollectionDefinition(nameof(ObserveFootprintTests), DisableParallelization = true)]
public class ObserveFootprintTests
{
    private const int Relations = 1_000;

    /// <summary>
    /// Measured here: 1,858 bytes a registration while each relation kept an owned copy of its request (message, option
    /// list and arrays, route-value dictionary, strings); 947 with the compact relation (encoded registration, route
    /// values as segment indexes shared by the relations of a resource). Both include the per-peer entries, the indexes and the deduplication cache.
    /// </summary>
    private const long MaxRetainedPerRelation = 1_400;

    [Fact]
    public void ARelation_RetainsAFewHundredBytes_NotTheRegistrationRequest()
    {
        var tree = new CoapServer();
        var resource = tree.Add("api/v1/{token}", new DeviceRpcResource());
        using var h = new EndpointHarness(tree, new CoapEndpointOptions { MaxObservers = Relations, MaxObserversPerPeer = 1 });
        Register(h, 0, 1); // first use of every path (JIT, statics, pools) before the baseline
        resource.FindRelation("DEV-TOKEN-00000000")!.Cancel();

        long before = RetainedBytes(h);
        Register(h, 1, Relations);
        long registered = RetainedBytes(h);
        Assert.Equal(Relations - 1, resource.ObserverCount);

        long perRelation = (registered - before) / (Relations - 1);
        Assert.True(perRelation <= MaxRetainedPerRelation,
            $"a relation keeps {perRelation} bytes alive (with its indexes); at most {MaxRetainedPerRelation} expected (before {before}, registered {registered})");
        GC.KeepAlive(h);
    }

    private static void Register(EndpointHarness h, int from, int to)
    {
        for (int i = from; i < to; i++)
        {
            var peer = new IPEndPoint(IPAddress.Parse("192.0.2.50"), 20_000 + i);
            h.Send(EndpointHarness.Get((ushort)i, $"api/v1/DEV-TOKEN-{i:D8}/rpc", [0x10, 0x20, 0x30, (byte)i], extra: Opt.Observe(0)), peer);
            Assert.Equal(CoapCode.Valid, h.Expect(peer).Code);
        }
    }

    /// <summary>After EXCHANGE_LIFETIME (RFC 7252 §4.8.2): the deduplication cache no longer holds the registrations' answers.</summary>
    private static long RetainedBytes(EndpointHarness h)
    {
        h.Time.Advance(TimeSpan.FromMinutes(5));
        GC.Collect();
        GC.WaitForPendingFinalizers();
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    /// <summary>ThingsBoard-style RPC resource: one relation per device token, 2.03 first response.</summary>
    private sealed class DeviceRpcResource() : ObservableResource("rpc")
    {
        protected override string? GetObserverIdentity(CoapRequest request) => request.RouteValues["token"];

        protected override ValueTask<CoapResponse> RegisterAsync(CoapRequest request, CancellationToken cancellationToken) =>
            new(CoapResponse.Empty(CoapCode.Valid));
    }
}
