using System.Net;
using Gateway.Coap.Observe;
using Gateway.Coap.Transport;
using Gateway.Host.Coap;
using StoredRelation = Gateway.Storage.Observe.ObserveRelation;

namespace Gateway.Host.Tests;

/// <summary>How an observe relation is written to the observation store and read back (the restart itself: Interop's ObserveRestartTests).</summary>
public sealed class ObservationPersistenceTests
{
    public static TheoryData<string> Peers => new() { "192.0.2.10:40000", "[2001:db8::7]:5683", "[fe80::1%3]:61616" };

    [Theory]
    [MemberData(nameof(Peers))]
    public void Snapshot_RoundTripsThroughTheStoredRow(string peer)
    {
        var snapshot = new ObservationSnapshot(PeerAddress.From(IPEndPoint.Parse(peer)), [0x0B, 0x5E], ["1a", "led/x", "a&b?c"], ["k=v", "&"],
            Identity: "ignored", Accept: 60, LastSequence: 0xFFFFFE, Confirmable: false, State: "Exo 1");

        var stored = ObservationPersistence.ToStored(snapshot);
        var back = ObservationPersistence.ToSnapshot(stored)!;

        Assert.Equal(peer, stored.Peer);
        Assert.Equal(("Exo 1", 60, 0xFFFFFE, false), (stored.Device, stored.ContentFormat, stored.LastSequence, stored.Confirmable));
        Assert.Equal(snapshot.Peer, back.Peer);
        Assert.Equal(snapshot.Token, back.Token);
        Assert.Equal(snapshot.Path, back.Path);   // segments with '/', '&' and '?' stay segments
        Assert.Equal(snapshot.Query, back.Query);
        Assert.Equal((60, 0xFFFFFEu, false, "Exo 1"), (back.Accept, back.LastSequence, back.Confirmable, back.State));
        Assert.Null(back.Identity); // the resource sets it again when the relation is restored
    }

    [Fact]
    public void NoAccept_IsStoredAsMinusOne_AndReadBackAsNone()
    {
        var snapshot = new ObservationSnapshot(PeerAddress.From(IPEndPoint.Parse("192.0.2.10:1")), [1], ["api", "v1", "-", "rpc"], [], null, null, 3, true, "Dev A");
        var stored = ObservationPersistence.ToStored(snapshot);
        Assert.Equal(-1, stored.ContentFormat);
        Assert.Null(ObservationPersistence.ToSnapshot(stored)!.Accept);
    }

    [Theory]
    [InlineData("not an address", """{"path":[],"query":[]}""")]
    [InlineData("192.0.2.10:1", "not json")]
    [InlineData("192.0.2.10:1", """{"path":[]}""")]
    [InlineData("192.0.2.10:1", """{"path":5,"query":[]}""")]
    public void UnreadableRow_GivesNoSnapshot(string peer, string resource) =>
        Assert.Null(ObservationPersistence.ToSnapshot(new StoredRelation(peer, [1], resource, "Dev A", -1, 0)));
}
