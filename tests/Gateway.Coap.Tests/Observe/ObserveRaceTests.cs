using System.Net;
using Gateway.Coap.Codec;
using Gateway.Coap.Messages;
using Gateway.Coap.Observe;
using Gateway.Coap.Server;
using Gateway.Coap.Tests.Endpoint;
using Gateway.Coap.Transport;

namespace Gateway.Coap.Tests.Observe;

/// <summary>
/// Registrations of one device and resource that race each other, a notification, a deregistration
/// and a restore, scripted on the in-memory transport and a manual clock: the registration the
/// endpoint admits last is the live relation, every older one is told with a final 2.02 without
/// Observe (RFC 7641 §3.2), and an update after the race reaches the live one only (issue #24).
/// </summary>
public class ObserveRaceTests
{
    private const string Device = "DEV1";
    private const string Path = "api/v1/DEV1/attrs";

    private static (EndpointHarness H, GatedDeviceResource Resource) Server()
    {
        var tree = new CoapServer();
        var resource = tree.Add("api/v1/{token}", new GatedDeviceResource());
        return (new EndpointHarness(tree, new CoapEndpointOptions { AckRandomFactor = 1.0 }), resource);
    }

    private static IPEndPoint Port(int port) => new(EndpointHarness.Device.Address, port);

    private static byte[] TokenOf(int port) => [(byte)(port >> 8), (byte)port];

    /// <summary>A fresh socket's registration: NON, so notifications are NON and need no ACK.</summary>
    private static void Register(EndpointHarness h, int port) =>
        h.Send(EndpointHarness.Get((ushort)port, Path, TokenOf(port), CoapMessageType.NonConfirmable, Opt.Observe(0)), Port(port));

    /// <summary>Everything sent so far, by destination port (handler continuations may still be sending: see <see cref="Admit"/>).</summary>
    private static List<(int Port, CoapMessage Message)> Sent(EndpointHarness h)
    {
        var sent = new List<(int, CoapMessage)>();
        while (h.Transport.SentCount > 0 && h.Transport.TryTakeSent(out var bytes, out var to, TimeSpan.Zero))
        {
            Assert.True(CoapCodec.TryDecode(bytes, out var message, out _));
            sent.Add((to.Port, message));
        }
        return sent;
    }

    /// <summary>
    /// Lets the held registration of <paramref name="port"/> finish and waits until the endpoint has
    /// sent it <paramref name="messages"/> datagrams (its first response, and a notification it is owed),
    /// collecting everything sent meanwhile into <paramref name="log"/>.
    /// </summary>
    private static void Admit(EndpointHarness h, GatedDeviceResource resource, int port, List<(int Port, CoapMessage Message)> log, int messages = 1)
    {
        resource.Release(port);
        Assert.True(SpinWait.SpinUntil(() =>
        {
            log.AddRange(Sent(h));
            return log.Count(s => s.Port == port) >= messages;
        }, TimeSpan.FromSeconds(5)), $"port {port} got no answer");
    }

    private static bool IsNotice(CoapMessage m) => m.Code == CoapCode.Deleted && Opt.ObserveOf(m) is null;

    private static void AssertLive(EndpointHarness h, GatedDeviceResource resource, int port)
    {
        var live = resource.FindRelation(Device);
        Assert.NotNull(live);
        Assert.Equal((port, true), (live.PeerEndPoint.Port, live.IsActive));
        Assert.Same(live, Assert.Single(resource.Relations));
        Assert.Same(live, resource.Added.Last());
        Assert.Equal(1, h.Endpoint.Statistics.Observers);
    }

    /// <summary>An update after the race reaches the live relation and nobody else.</summary>
    private static void AssertUpdateReaches(EndpointHarness h, GatedDeviceResource resource, int port, string value)
    {
        Assert.Equal(NotificationOutcome.Sent, Opt.Completed(resource.Update(Device, value)));
        var (to, n) = Assert.Single(Sent(h));
        Assert.Equal((port, Hex.Of(TokenOf(port)), value), (to, Hex.Of(n.Token.Span), Opt.Text(n)));
        Assert.NotNull(Opt.ObserveOf(n));
    }

    [Theory]
    [InlineData(new[] { 1, 2 })]
    [InlineData(new[] { 2, 1 })]
    [InlineData(new[] { 1, 2, 3, 4 })]
    [InlineData(new[] { 4, 3, 2, 1 })]
    [InlineData(new[] { 2, 4, 1, 3 })]
    public void RegistrationsInOneTick_TheOneAdmittedLastIsLive_EveryOtherIsToldAndMissesTheUpdate(int[] admissionOrder)
    {
        var (h, resource) = Server();
        using var _ = h;
        int[] ports = [.. admissionOrder.Order().Select(i => 41000 + i)];
        foreach (var port in ports) resource.Hold(port);
        foreach (var port in ports) Register(h, port);
        h.ExpectNothing(); // all four wait in their handlers: the same tick

        var sent = new List<(int Port, CoapMessage Message)>();
        foreach (var i in admissionOrder) Admit(h, resource, 41000 + i, sent);

        int newest = 41000 + admissionOrder[^1];
        sent.AddRange(Sent(h));
        foreach (var port in ports)
        {
            var mine = sent.Where(s => s.Port == port).Select(s => s.Message).ToList();
            // Each got its first response with Observe; each but the newest, after it, a final 2.02 without Observe.
            Assert.Equal((CoapCode.Content, 0u), (mine[0].Code, Opt.ObserveOf(mine[0])));
            Assert.Equal(port == newest ? 1 : 2, mine.Count);
            if (port != newest) Assert.True(IsNotice(mine[1]));
        }
        AssertLive(h, resource, newest);
        Assert.Equal(ports.Length - 1, h.Endpoint.Statistics.ObserversReplaced);
        Assert.All(resource.Removed, r => Assert.Equal(ObserveRemovalReason.Rebound, r.Reason));
        AssertUpdateReaches(h, resource, newest, "7");
    }

    [Fact]
    public void RegistrationAdmittedWhileANotificationIsComposed_TheNotificationFollowsTheNewRelation()
    {
        var (h, resource) = Server();
        using var _ = h;
        Register(h, 41001);
        Sent(h);
        resource.Hold(41002);
        Register(h, 41002);

        bool released = false;
        var sent = new List<(int Port, CoapMessage Message)>();
        // The update found 41001's relation; 41002 is admitted before the notification leaves.
        var outcome = resource.Update(Device, "8", () =>
        {
            if (released) return;
            released = true;
            resource.Release(41002);
            Assert.True(SpinWait.SpinUntil(() => resource.FindRelation(Device)?.PeerEndPoint.Port == 41002, TimeSpan.FromSeconds(5)));
        });

        Assert.Equal(NotificationOutcome.Sent, Opt.Completed(outcome));
        Assert.True(SpinWait.SpinUntil(() => { sent.AddRange(Sent(h)); return sent.Count(s => s.Port == 41002 && Opt.ObserveOf(s.Message) is not null) >= 3; },
            TimeSpan.FromSeconds(5)), "41002: first response, refresh, update");
        Assert.True(IsNotice(Assert.Single(sent, s => s.Port == 41001).Message));
        var mine = sent.Where(s => s.Port == 41002).Select(s => s.Message).ToList();
        Assert.Equal("8", Opt.Text(mine[^1]));
        // RFC 7641 §3.4: the update is newer than the first response to the client.
        Assert.True(Opt.ObserveOf(mine[^1]) > Opt.ObserveOf(mine[0]));
        AssertLive(h, resource, 41002);
    }

    [Fact]
    public void UpdateWhileARegistrationIsInItsHandler_TheNewRelationGetsTheNewStateAfterItsFirstResponse()
    {
        var (h, resource) = Server();
        using var _ = h;
        resource.Hold(41002);
        Register(h, 41002); // reads "0", then waits
        Assert.Equal(NotificationOutcome.RelationGone, Opt.Completed(resource.Update(Device, "9"))); // nobody to tell yet
        var sent = new List<(int Port, CoapMessage Message)>();
        Admit(h, resource, 41002, sent, messages: 2);

        var mine = sent.Select(s => s.Message).ToList();
        Assert.Equal([("0", 0u), ("9", 1u)], mine.Select(m => (Opt.Text(m), Opt.ObserveOf(m)!.Value)));
        AssertLive(h, resource, 41002);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void RegistrationRacingAResetOfTheOldRelation_TheNewOneStaysLive(bool resetFirst)
    {
        var (h, resource) = Server();
        using var _ = h;
        Register(h, 41001);
        Sent(h);
        Opt.Completed(resource.Update(Device, "1"));
        var notification = Assert.Single(Sent(h)).Message;
        resource.Hold(41002);
        Register(h, 41002);

        // RFC 7641 §3.6: RST to the NON notification deregisters 41001 — before or after 41002 replaced it.
        var sent = new List<(int Port, CoapMessage Message)>();
        if (resetFirst) h.Send(CoapMessage.Reset(notification.MessageId), Port(41001));
        Admit(h, resource, 41002, sent);
        if (!resetFirst) h.Send(CoapMessage.Reset(notification.MessageId), Port(41001));
        sent.AddRange(Sent(h));
        Assert.Equal(resetFirst ? 0 : 1, sent.Count(s => s.Port == 41001 && IsNotice(s.Message)));
        Assert.Equal(resetFirst ? ObserveRemovalReason.Reset : ObserveRemovalReason.Rebound, Assert.Single(resource.Removed).Reason);
        AssertLive(h, resource, 41002);
        AssertUpdateReaches(h, resource, 41002, "2");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task RegistrationRacingTheRestoreAtStart_TheLiveRegistrationWins(bool restoreFirst)
    {
        var (h, resource) = Server();
        using var _ = h;
        // Stored before the restart: DEV1 from 41001 (the restore replays its registration through the handler).
        var stored = new ObservationSnapshot(PeerAddress.From(Port(41001)), TokenOf(41001), ["api", "v1", Device, "attrs"], [], null, null, 5, false, Device);
        if (!restoreFirst) resource.Hold(41001);
        var restore = h.Endpoint.RestoreObservationAsync(stored);
        if (restoreFirst) await restore;
        Register(h, 41002);
        if (!restoreFirst) resource.Release(41001);

        var restored = await restore;
        var sent = new List<(int Port, CoapMessage Message)>();
        Assert.True(SpinWait.SpinUntil(() => { sent.AddRange(Sent(h)); return sent.Any(s => s.Port == 41002); }, TimeSpan.FromSeconds(5)));
        if (restoreFirst)
        {
            // Restored, then replaced by the live registration like any older relation.
            Assert.NotNull(restored);
            Assert.True(IsNotice(Assert.Single(sent, s => s.Port == 41001).Message));
        }
        else
        {
            // The live registration was admitted first: the stored one is older and is not restored.
            Assert.Null(restored);
            Assert.DoesNotContain(sent, s => s.Port == 41001);
        }
        AssertLive(h, resource, 41002);
        AssertUpdateReaches(h, resource, 41002, "3");
    }
}
