using Gateway.Coap.Messages;
using Gateway.Coap.Server;
using Gateway.Coap.Transport;

namespace Gateway.Coap.Tests.Endpoint;

/// <summary>The spares of asynchronous exchanges (<see cref="DetachedRequestPool"/>): bounded, and given back blank.</summary>
public sealed class DetachedRequestPoolTests
{
    [Fact]
    public void KeepsAtMostItsCapacity_AndGivesBackFirstInFirstOut()
    {
        var pool = new DetachedRequestPool(capacity: 2);
        var spares = Enumerable.Range(0, 3).Select(_ => CoapMessage.CreateReusable()).Select(m => (Message: m, Request: new CoapRequest(m, default))).ToArray();
        foreach (var (message, request) in spares) pool.Return(message, request);

        Assert.True(pool.TryTake(out var m0, out var r0));
        pool.Return(spares[2].Message, spares[2].Request); // room again after a take
        Assert.True(pool.TryTake(out var m1, out var r1));
        Assert.True(pool.TryTake(out var m2, out var r2));
        Assert.False(pool.TryTake(out _, out _));
        Assert.Equal([spares[0].Request, spares[1].Request, spares[2].Request], new[] { r0, r1, r2 });
        Assert.Equal([spares[0].Message, spares[1].Message, spares[2].Message], new[] { m0, m1, m2 });
    }

    [Fact]
    public void AReturnedRequest_CarriesNothingOfItsExchange()
    {
        var pool = new DetachedRequestPool(capacity: 1);
        var message = CoapMessage.CreateReusable();
        var request = new CoapRequest(message, new PeerAddress(UInt128.One, 5683, 0)) { RestoredState = "state", SessionIdentity = "dev" };
        request.SetRouteValue("token", "SECRET");

        pool.Return(message, request);

        Assert.True(pool.TryTake(out _, out var taken));
        Assert.Same(request, taken);
        Assert.Empty(taken.RouteValues);
        Assert.Equal((null, null, default(PeerAddress)), (taken.RestoredState, taken.SessionIdentity, taken.Peer));
    }
}
