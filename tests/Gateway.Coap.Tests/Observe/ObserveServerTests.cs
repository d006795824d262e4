using System.Net;
using Gateway.Coap.Messages;
using Gateway.Coap.Observe;
using Gateway.Coap.Server;
using Gateway.Coap.Tests.Endpoint;

namespace Gateway.Coap.Tests.Observe;

/// <summary>RFC 7641 server side, scripted on the in-memory transport and a manual clock (Californium's ObserveServerSideTest idea).</summary>
public class ObserveServerTests
{
    private static readonly byte[] Token = [0x0B, 0x5E];
    // ACK_RANDOM_FACTOR 1 pins retransmission times: 2, 4, 8, 16 s, give-up 32 s later (RFC 7252 §4.2).
    private static CoapEndpointOptions Pinned(Action<CoapEndpointOptions>? tweak = null)
    {
        var options = new CoapEndpointOptions { AckRandomFactor = 1.0 };
        tweak?.Invoke(options);
        return options;
    }

    private static (EndpointHarness H, SensorResource Sensor) Server(CoapEndpointOptions? options = null)
    {
        var tree = new CoapServer();
        var sensor = tree.Add("", new SensorResource());
        return (new EndpointHarness(tree, options ?? Pinned()), sensor);
    }

    private static CoapMessage Register(ushort mid, byte[]? token = null, CoapMessageType type = CoapMessageType.Confirmable, string path = "temp") =>
        EndpointHarness.Get(mid, path, token ?? Token, type, Opt.Observe(0));

    [Fact]
    public void ConfirmableRegistration_FirstResponseCarriesObserve_ThenConfirmableNotificationsWithIncreasingNumbers()
    {
        var (h, sensor) = Server();
        using var _ = h;
        h.Send(Register(0x1001));
        var first = h.Expect();
        Assert.Equal((CoapMessageType.Acknowledgement, 0x1001, "0b5e", 0u, "20"), (first.Type, (int)first.MessageId, Hex.Of(first.Token.Span), Opt.ObserveOf(first)!.Value, Opt.Text(first)));
        Assert.Equal(1, sensor.ObserverCount);
        Assert.Equal(1, h.Endpoint.Statistics.Observers);

        sensor.Value = "21";
        sensor.NotifyObservers();
        var n1 = h.Expect();
        Assert.Equal((CoapMessageType.Confirmable, "0b5e", 1u, "21"), (n1.Type, Hex.Of(n1.Token.Span), Opt.ObserveOf(n1)!.Value, Opt.Text(n1)));
        h.Send(CoapMessage.EmptyAck(n1.MessageId));

        sensor.Value = "22";
        sensor.NotifyObservers();
        var n2 = h.Expect();
        Assert.Equal((CoapMessageType.Confirmable, 2u, "22"), (n2.Type, Opt.ObserveOf(n2)!.Value, Opt.Text(n2)));
        Assert.NotEqual(n1.MessageId, n2.MessageId);
        h.Send(CoapMessage.EmptyAck(n2.MessageId));
        h.Time.Advance(TimeSpan.FromMinutes(5));
        h.ExpectNothing();
        Assert.Equal(0, h.Endpoint.PendingConfirmables);
    }

    [Fact]
    public void NonConfirmableRegistration_GetsNonNotifications_AndAConfirmableOneEveryN()
    {
        var (h, sensor) = Server(Pinned(o => o.ObserveConfirmableEvery = 3));
        using var _ = h;
        h.Send(Register(0x2001, type: CoapMessageType.NonConfirmable));
        var first = h.Expect();
        Assert.Equal((CoapMessageType.NonConfirmable, 0u), (first.Type, Opt.ObserveOf(first)!.Value));

        var types = new List<(CoapMessageType, uint)>();
        for (int i = 0; i < 6; i++)
        {
            sensor.NotifyObservers();
            var n = h.Expect();
            types.Add((n.Type, Opt.ObserveOf(n)!.Value));
            if (n.Type == CoapMessageType.Confirmable) h.Send(CoapMessage.EmptyAck(n.MessageId));
        }
        // RFC 7641 §4.5: at least every N-th notification is CON, to learn the observer is still there.
        Assert.Equal([(CoapMessageType.NonConfirmable, 1u), (CoapMessageType.NonConfirmable, 2u), (CoapMessageType.Confirmable, 3u),
            (CoapMessageType.NonConfirmable, 4u), (CoapMessageType.NonConfirmable, 5u), (CoapMessageType.Confirmable, 6u)], types);
    }

    [Fact]
    public void NonConfirmableRelation_GetsAConfirmableNotificationAfter24Hours()
    {
        var (h, sensor) = Server();
        using var _ = h;
        h.Send(Register(0x2101, type: CoapMessageType.NonConfirmable));
        h.Expect();
        sensor.NotifyObservers();
        Assert.Equal(CoapMessageType.NonConfirmable, h.Expect().Type);
        h.Time.Advance(TimeSpan.FromHours(24));
        sensor.NotifyObservers();
        var n = h.Expect();
        Assert.Equal((CoapMessageType.Confirmable, 2u), (n.Type, Opt.ObserveOf(n)!.Value));
    }

    [Fact]
    public void Deregistration_WithObserve1_RemovesTheRelation_AndIsAnsweredAsAPlainGet()
    {
        var (h, sensor) = Server();
        using var _ = h;
        h.Send(Register(0x3001));
        h.Expect();
        h.Send(EndpointHarness.Get(0x3002, "temp", Token, CoapMessageType.Confirmable, Opt.Observe(1)));
        var response = h.Expect();
        Assert.Equal((CoapCode.Content, (uint?)null), (response.Code, Opt.ObserveOf(response)));
        Assert.Equal(0, sensor.ObserverCount);
        Assert.Equal(ObserveRemovalReason.Deregistered, Assert.Single(sensor.Removed).Reason);
        sensor.NotifyObservers();
        h.ExpectNothing();
    }

    [Fact]
    public void ResetToConfirmableNotification_RemovesTheRelation()
    {
        var (h, sensor) = Server();
        using var _ = h;
        h.Send(Register(0x3101));
        h.Expect();
        var outcome = sensor.NotifyAsync(sensor.Relations[0]);
        var n = h.Expect();
        h.Send(CoapMessage.Reset(n.MessageId));
        Assert.Equal(NotificationOutcome.Reset, Opt.Completed(outcome));
        Assert.Equal(ObserveRemovalReason.Reset, Assert.Single(sensor.Removed).Reason);
        Assert.Equal(0, h.Endpoint.PendingConfirmables);
        Assert.Equal(0, h.Endpoint.Observers);
    }

    [Fact]
    public void ResetToNonConfirmableNotification_RemovesTheRelation()
    {
        var (h, sensor) = Server();
        using var _ = h;
        h.Send(Register(0x3201, type: CoapMessageType.NonConfirmable));
        h.Expect();
        sensor.NotifyObservers();
        var n = h.Expect();
        Assert.Equal(CoapMessageType.NonConfirmable, n.Type);
        h.Send(CoapMessage.Reset(n.MessageId));
        Assert.Equal(ObserveRemovalReason.Reset, Assert.Single(sensor.Removed).Reason);
        Assert.Equal(0, h.Endpoint.Statistics.Unmatched);
    }

    [Fact]
    public void LostAck_ConfirmableNotificationIsRetransmitted_ThenTheRelationIsRemovedOnTimeout()
    {
        var (h, sensor) = Server();
        using var _ = h;
        h.Send(Register(0x4001));
        h.Expect();
        var outcome = sensor.NotifyAsync(sensor.Relations[0]);
        var original = h.ExpectBytes();
        foreach (double wait in new[] { 2.0, 4.0, 8.0, 16.0 })
        {
            h.Time.Advance(TimeSpan.FromSeconds(wait - 0.01));
            h.ExpectNothing();
            h.Time.Advance(TimeSpan.FromSeconds(0.01));
            Assert.Equal(original, h.ExpectBytes()); // same MID, same Observe value
        }
        Assert.False(outcome.IsCompleted);
        h.Time.Advance(TimeSpan.FromSeconds(32));
        h.ExpectNothing();
        Assert.Equal(NotificationOutcome.TimedOut, Opt.Completed(outcome));
        Assert.Equal(ObserveRemovalReason.TimedOut, Assert.Single(sensor.Removed).Reason);
        Assert.Equal(0, sensor.ObserverCount);
    }

    [Fact]
    public void LostAck_RetransmissionThenAck_KeepsTheRelation()
    {
        var (h, sensor) = Server();
        using var _ = h;
        h.Send(Register(0x4101));
        h.Expect();
        var outcome = sensor.NotifyAsync(sensor.Relations[0]);
        var n = h.Expect();
        h.Time.Advance(TimeSpan.FromSeconds(2));
        var again = h.Expect();
        Assert.Equal((n.MessageId, 1u), (again.MessageId, Opt.ObserveOf(again)!.Value));
        h.Send(CoapMessage.EmptyAck(n.MessageId));
        Assert.Equal(NotificationOutcome.Acknowledged, Opt.Completed(outcome));
        Assert.Equal(1, sensor.ObserverCount);
    }

    [Fact]
    public void NewerNotification_ReplacesTheUnacknowledgedOne_KeepingItsRetransmissionState()
    {
        var (h, sensor) = Server();
        using var _ = h;
        h.Send(Register(0x5001));
        h.Expect();
        var relation = sensor.Relations[0];
        sensor.Value = "21";
        var first = sensor.NotifyAsync(relation);
        var n1 = h.Expect();
        Assert.Equal(1u, Opt.ObserveOf(n1));

        h.Time.Advance(TimeSpan.FromSeconds(1));
        sensor.Value = "22";
        var second = sensor.NotifyAsync(relation);
        // RFC 7641 §4.5.2: not queued, not sent at once: it takes the old one's place.
        h.ExpectNothing();
        Assert.Equal(NotificationOutcome.Superseded, Opt.Completed(first));

        h.Time.Advance(TimeSpan.FromSeconds(1)); // when n1's first retransmission was due
        var n2 = h.Expect();
        Assert.Equal((CoapMessageType.Confirmable, 2u, "22"), (n2.Type, Opt.ObserveOf(n2)!.Value, Opt.Text(n2)));
        Assert.NotEqual(n1.MessageId, n2.MessageId);
        Assert.Equal(1, h.Endpoint.PendingConfirmables);

        // The retransmission counter carried over: the next retransmission is 4 s later, not 2 s.
        h.Time.Advance(TimeSpan.FromSeconds(3.99));
        h.ExpectNothing();
        h.Time.Advance(TimeSpan.FromSeconds(0.01));
        Assert.Equal(n2.MessageId, h.Expect().MessageId);
        h.Send(CoapMessage.EmptyAck(n2.MessageId));
        Assert.Equal(NotificationOutcome.Acknowledged, Opt.Completed(second));
        Assert.Equal(1, h.Endpoint.Statistics.NotificationsSuperseded);
    }

    [Fact]
    public void ReRegistration_SameToken_KeepsTheRelation_NewToken_ReplacesIt()
    {
        var (h, sensor) = Server();
        using var _ = h;
        h.Send(Register(0x6001));
        Assert.Equal(0u, Opt.ObserveOf(h.Expect()));
        h.Send(Register(0x6002));
        Assert.Equal(1u, Opt.ObserveOf(h.Expect())); // same relation, numbers go on
        Assert.Single(sensor.Added);
        Assert.Empty(sensor.Removed);

        h.Send(Register(0x6003, [0x77]));
        Assert.Equal(0u, Opt.ObserveOf(h.Expect()));
        Assert.Equal(ObserveRemovalReason.Replaced, Assert.Single(sensor.Removed).Reason);
        var relation = Assert.Single(sensor.Relations);
        Assert.Equal("77", Hex.Of(relation.Token.Span));
        sensor.NotifyObservers();
        Assert.Equal("77", Hex.Of(h.Expect().Token.Span));
    }

    [Fact]
    public void NatRebinding_SameIdentityFromANewPort_IsServedThere_AndTheOrphanIsRemoved()
    {
        var tree = new CoapServer();
        var rpc = tree.Add("api/v1/{token}", new RpcResource());
        using var h = new EndpointHarness(tree, Pinned());
        var moved = new IPEndPoint(EndpointHarness.Device.Address, 40001);

        h.Send(Register(0x7001, path: "api/v1/DEV1/rpc"));
        var first = h.Expect();
        // ThingsBoard's RPC observe: 2.03 Valid, Observe=0, no payload.
        Assert.Equal((CoapCode.Valid, 0u, 0), (first.Code, Opt.ObserveOf(first)!.Value, first.Payload.Length));

        h.Send(Register(0x7002, [0x99], path: "api/v1/DEV1/rpc"), moved);
        // RFC 7641 §3.2: the orphan is told it left the list — a final 2.02 without Observe (thingsboard.md §2.5).
        var notice = h.Expect(EndpointHarness.Device);
        Assert.Equal((CoapMessageType.NonConfirmable, CoapCode.Deleted, "0b5e", (uint?)null), (notice.Type, notice.Code, Hex.Of(notice.Token.Span), Opt.ObserveOf(notice)));
        Assert.Equal(0u, Opt.ObserveOf(h.Expect(moved)));
        Assert.Equal(ObserveRemovalReason.Rebound, Assert.Single(rpc.Removed).Reason);
        Assert.Equal(1, h.Endpoint.Statistics.ObserversReplaced);
        var relation = Assert.Single(rpc.Relations);
        Assert.Equal(40001, relation.PeerEndPoint.Port);
        Assert.Same(relation, rpc.FindRelation("DEV1"));

        var delivered = rpc.NotifyAsync(relation, CoapResponse.WithFormat(CoapCode.Content, "{\"id\":1}"u8.ToArray(), CoapContentFormat.Json));
        var n = h.Expect(moved);
        Assert.Equal((CoapCode.Content, 1u, "99", "{\"id\":1}"), (n.Code, Opt.ObserveOf(n)!.Value, Hex.Of(n.Token.Span), Opt.Text(n)));
        h.Send(CoapMessage.EmptyAck(n.MessageId), moved);
        Assert.Equal(NotificationOutcome.Acknowledged, Opt.Completed(delivered));
    }

    [Fact]
    public void PerPeerCap_EvictsTheLeastRecentlyActiveRelation_AndCountsIt()
    {
        var tree = new CoapServer();
        var sensors = Enumerable.Range(0, 3).Select(i => tree.Add("", new SensorResource($"s{i}"))).ToArray();
        using var h = new EndpointHarness(tree, Pinned(o => o.MaxObserversPerPeer = 2));
        for (int i = 0; i < 3; i++)
        {
            h.Send(Register((ushort)(0x8001 + i), [(byte)i], path: $"s{i}"));
            h.Expect();
        }
        Assert.Equal(ObserveRemovalReason.Evicted, Assert.Single(sensors[0].Removed).Reason);
        Assert.Equal((2, 1L), (h.Endpoint.Observers, h.Endpoint.Statistics.ObserversEvicted));
    }

    [Fact]
    public void GlobalCap_EvictsTheOldestRelationOfAnyPeer()
    {
        var (h, sensor) = Server(Pinned(o => o.MaxObservers = 2));
        using var _ = h;
        for (int port = 1; port <= 3; port++)
        {
            var from = new IPEndPoint(EndpointHarness.Device.Address, 41000 + port);
            h.Send(Register((ushort)port), from);
            h.Expect(from);
        }
        Assert.Equal(41001, Assert.Single(sensor.Removed).Relation.PeerEndPoint.Port);
        Assert.Equal(2, sensor.ObserverCount);
    }

    [Fact]
    public void ErrorNotification_CarriesNoObserve_AndEndsTheRelation()
    {
        var (h, sensor) = Server();
        using var _ = h;
        h.Send(Register(0x9001));
        h.Expect();
        sensor.NotifyObservers(CoapResponse.Empty(CoapCode.NotFound));
        var n = h.Expect();
        Assert.Equal((CoapCode.NotFound, (uint?)null), (n.Code, Opt.ObserveOf(n)));
        Assert.Equal(ObserveRemovalReason.ErrorNotification, Assert.Single(sensor.Removed).Reason);
    }

    [Fact]
    public void RegistrationAnsweredWithAnError_CreatesNoRelation()
    {
        var tree = new CoapServer();
        var sensor = tree.Add("", new DeniedSensor());
        using var h = new EndpointHarness(tree, Pinned());
        h.Send(Register(0x9101, path: "denied"));
        var response = h.Expect();
        Assert.Equal((CoapCode.Unauthorized, (uint?)null), (response.Code, Opt.ObserveOf(response)));
        Assert.Equal(0, h.Endpoint.Observers);
    }

    [Fact]
    public void PlainGetOnAnObservableResource_CreatesNoRelation()
    {
        var (h, sensor) = Server();
        using var _ = h;
        h.Send(EndpointHarness.Get(0x9201, "temp", Token));
        var response = h.Expect();
        Assert.Null(Opt.ObserveOf(response));
        Assert.Equal(0, sensor.ObserverCount);
    }

    [Fact]
    public async Task ExportedRelations_AreRestoredAfterARestart_ContinuingTheSequence()
    {
        var (h, sensor) = Server();
        ObservationSnapshot saved;
        using (h)
        {
            h.Send(Register(0xA001, type: CoapMessageType.NonConfirmable));
            h.Expect();
            sensor.NotifyObservers();
            h.Expect();
            saved = Assert.Single(h.Endpoint.ExportObservations());
            Assert.Equal(("/temp", 1u, "0b5e", false), (saved.Target, saved.LastSequence, Hex.Of(saved.Token), saved.Confirmable));
        }

        var (restarted, sensor2) = Server();
        using var __ = restarted;
        var relation = await restarted.Endpoint.RestoreObservationAsync(saved);
        Assert.NotNull(relation);
        restarted.ExpectNothing(); // a restored relation sends no first response
        sensor2.NotifyObservers();
        var n = restarted.Expect();
        // RFC 7641 §3.4: 2^22 above the saved number, so fresh to a client that saw up to 2^22 more since.
        Assert.Equal((CoapMessageType.NonConfirmable, 1u + (1u << 22) + 1u, "0b5e"), (n.Type, Opt.ObserveOf(n)!.Value, Hex.Of(n.Token.Span)));
    }

    [Fact]
    public async Task CredentialInThePath_IsLeftOutOfWhatIsStored_AndTheRestoredStateBringsTheRelationBack()
    {
        var tree = new CoapServer();
        tree.Add("dev/{token}", new CredentialSensor());
        ObservationSnapshot saved;
        var listener = new RecordingListener();
        using (var h = new EndpointHarness(tree, Pinned()))
        {
            h.Endpoint.ObservationListener = listener;
            h.Send(Register(0xC001, path: "dev/SECRET-1/state"));
            Assert.Equal("device A", Opt.Text(h.Expect()));
            saved = Assert.Single(h.Endpoint.ExportObservations());
            Assert.Equal(["added /dev/-/state"], listener.Events);
        }
        Assert.Equal(("/dev/-/state", "device A", "0b5e"), (saved.Target, saved.State, Hex.Of(saved.Token)));
        Assert.DoesNotContain("SECRET", saved.ToString(), StringComparison.Ordinal);

        var tree2 = new CoapServer();
        var sensor = tree2.Add("dev/{token}", new CredentialSensor());
        using var restarted = new EndpointHarness(tree2, Pinned());
        var relation = await restarted.Endpoint.RestoreObservationAsync(saved);
        Assert.Equal("device A", relation!.RestoredState);
        Assert.Equal("device A", relation.Identity);
        restarted.ExpectNothing();
        sensor.NotifyObservers();
        var n = restarted.Expect();
        Assert.Equal(("0b5e", "device A"), (Hex.Of(n.Token.Span), Opt.Text(n)));

        // A registration from the network never carries a restored state: the placeholder is no credential.
        restarted.Send(Register(0xC002, [0x01], path: "dev/-/state"));
        Assert.Equal(CoapCode.Unauthorized, restarted.Expect().Code);
        Assert.Equal(1, sensor.ObserverCount);
    }

    [Fact]
    public void Listener_HearsAddedAndRemovedRelations()
    {
        var (h, sensor) = Server();
        using var _ = h;
        var listener = new RecordingListener();
        h.Endpoint.ObservationListener = listener;
        h.Send(Register(0xB001));
        h.Expect();
        h.Send(EndpointHarness.Get(0xB002, "temp", Token, CoapMessageType.Confirmable, Opt.Observe(1)));
        h.Expect();
        Assert.Equal(["added /temp", "removed /temp Deregistered"], listener.Events);
    }

    private sealed class DeniedSensor() : ObservableResource("denied")
    {
        protected override ValueTask<CoapResponse> GetAsync(CoapRequest request, CancellationToken cancellationToken) =>
            new(CoapResponse.Empty(CoapCode.Unauthorized));
    }

    /// <summary>A resource whose path carries a credential: it stores the device instead, and restores from it.</summary>
    private sealed class CredentialSensor() : ObservableResource("state")
    {
        private static string? DeviceOf(CoapRequest request) =>
            request.RestoredState ?? (request.RouteValues["token"] == "SECRET-1" ? "device A" : null);

        protected override ValueTask<CoapResponse> GetAsync(CoapRequest request, CancellationToken cancellationToken)
        {
            if (DeviceOf(request) is not { } device) return new(CoapResponse.Empty(CoapCode.Unauthorized));
            SetObserverIdentity(request, device);
            return new(CoapResponse.Text(CoapCode.Content, device));
        }

        protected internal override ObservationSnapshot? ToStorable(ObserveRelation relation, ObservationSnapshot snapshot) =>
            snapshot with { Path = [snapshot.Path[0], "-", snapshot.Path[2]], State = relation.Identity };
    }

    private sealed class RecordingListener : IObservationListener
    {
        public List<string> Events { get; } = [];
        public void OnObservationAdded(ObservationSnapshot observation) => Events.Add($"added {observation.Target}");
        public void OnObservationRemoved(ObservationSnapshot observation, ObserveRemovalReason reason) => Events.Add($"removed {observation.Target} {reason}");
    }
}
