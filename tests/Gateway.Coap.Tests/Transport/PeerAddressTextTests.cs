using System.Net;
using Gateway.Coap.Transport;

namespace Gateway.Coap.Tests.Transport;

/// <summary>A peer's text is what IPEndPoint and IPAddress print, whether it came from the per-thread cache or not.</summary>
public class PeerAddressTextTests
{
    [Theory]
    [InlineData("192.0.2.7", 5683, "192.0.2.7:5683", "::ffff:192.0.2.7")]
    [InlineData("2001:db8::1", 61616, "[2001:db8::1]:61616", "2001:db8::1")]
    [InlineData("::1", 1, "[::1]:1", "::1")]
    public void Text_IsTheEndPointsAndTheAddresssText(string address, int port, string full, string host)
    {
        var peer = PeerAddress.From(new IPEndPoint(IPAddress.Parse(address), port));
        for (int i = 0; i < 2; i++) // formatted, then cached
        {
            Assert.Equal(full, peer.ToString());
            Assert.Equal(host, peer.AddressToString());
        }
    }

    [Fact]
    public void LinkLocalScope_IsPartOfTheText()
    {
        var peer = PeerAddress.From(new IPEndPoint(IPAddress.Parse("fe80::1%3"), 5683));
        Assert.Equal("[fe80::1%3]:5683", peer.ToString());
        Assert.Equal("fe80::1%3", peer.AddressToString());
    }

    [Fact]
    public void ManyPeers_OnSeveralThreads_EachGetsItsOwnText()
    {
        // More peers than a thread's cache has slots, in an order that makes them collide, from four threads at once:
        // every answer must still be the peer's own text.
        var peers = Enumerable.Range(0, 1000)
            .Select(i => new IPEndPoint(new IPAddress([10, 0, (byte)(i / 250), (byte)(i % 250)]), 1000 + i % 7))
            .ToArray();
        var wrong = 0;
        Parallel.For(0, 4, t =>
        {
            var random = new Random(t);
            for (int n = 0; n < 20_000; n++)
            {
                var endPoint = peers[random.Next(peers.Length)];
                var peer = PeerAddress.From(endPoint);
                if (peer.ToString() != endPoint.ToString() || peer.AddressToString() != "::ffff:" + endPoint.Address) Interlocked.Increment(ref wrong);
            }
        });
        Assert.Equal(0, wrong);
    }
}
