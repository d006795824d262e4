using System.Net;
using Gateway.Coap.Codec;
using Gateway.Coap.Messages;
using Gateway.Coap.Observe;
using Gateway.Coap.Server;
using Gateway.Coap.Tests.Endpoint;

namespace Gateway.Coap.Tests.Observe;

/// <summary>
/// Registrations of several devices racing on real threads (handlers finish on the thread pool, as
/// the gateway's authenticating ones do), with updates published while they race. After every round:
/// exactly one relation per device, the one the endpoint admitted last (its added-event order), the
/// observer gauge equal to the device count, and an update published after the round reaches that
/// relation and nobody else (issue #24). Fixed seeds, so a failure replays the same schedule of sends.
/// </summary>
public class ObserveConcurrencyTests
{
    private const int Devices = 3;

    [Theory]
    [InlineData(1, 700)]
    [InlineData(2, 700)]
    [InlineData(3, 700)]
    public async Task RacingRegistrations_LeaveTheNewestLive_AndTheRoundsUpdateReachesIt(int seed, int rounds)
    {
        var random = new Random(seed);
        var tree = new CoapServer();
        var resource = tree.Add("api/v1/{token}", new GatedDeviceResource { YieldOnRegister = true });
        using var h = new EndpointHarness(tree, new CoapEndpointOptions { AckRandomFactor = 1.0, DeduplicationCapacity = 1 << 16 });
        int nextPort = 20000;
        int admitted = 0;

        for (int round = 0; round < rounds; round++)
        {
            // Each device: 2–4 fresh sockets register at once, while updates to random devices go out.
            var registrations = new List<(string Device, IPEndPoint From, byte[] Token)>();
            for (int d = 0; d < Devices; d++)
            {
                for (int k = random.Next(2, 5); k > 0; k--)
                {
                    int port = nextPort++;
                    registrations.Add(($"DEV{d}", new IPEndPoint(EndpointHarness.Device.Address, port), [(byte)(port >> 8), (byte)port]));
                }
            }
            random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(registrations));
            int noise = random.Next(0, 3);
            var senders = registrations.Select(r => Task.Run(() => h.Send(Registration(r.Device, r.Token), r.From)))
                .Concat(Enumerable.Range(0, noise).Select(i => Task.Run(() => resource.Update($"DEV{i % Devices}", $"n{round}"))));
            await Task.WhenAll(senders);
            // Every registration admitted: the round is over.
            admitted += registrations.Count;
            Assert.True(SpinWait.SpinUntil(() => resource.Added.Count >= admitted, TimeSpan.FromSeconds(10)), $"round {round}: registrations not all admitted");
            Drain(h);

            var added = resource.Added.ToArray();
            for (int d = 0; d < Devices; d++)
            {
                string device = $"DEV{d}";
                var newest = added.Last(r => r.Identity == device);
                Assert.Same(newest, resource.FindRelation(device));
                Assert.True(newest.IsActive, $"round {round}: {device}'s newest relation is not live");
            }
            Assert.Equal(Devices, resource.ObserverCount);
            Assert.Equal(Devices, h.Endpoint.Statistics.Observers);

            string device0 = $"DEV{random.Next(Devices)}";
            var live = resource.FindRelation(device0)!;
            var outcome = await resource.Update(device0, $"u{round}");
            Assert.Equal(NotificationOutcome.Sent, outcome);
            // The update reaches the live relation and nobody else. Maybe twice: a registration admitted before the update
            // but answered after it owes its relation a fresh notification of the state that changed meanwhile
            // (RegistrationAnswered), which is this same value by then.
            var delivered = Drain(h).Where(s => Opt.Text(s.Message) == $"u{round}").Select(s => (s.Port, Hex.Of(s.Message.Token.Span))).ToList();
            var expected = (live.PeerEndPoint.Port, Hex.Of(live.Token.Span));
            Assert.True(delivered.Count > 0 && delivered.All(d => d == expected),
                $"round {round}: u{round} for {expected} went to [{string.Join(", ", delivered)}]");
        }
        Assert.Equal(Devices, h.Endpoint.Statistics.Observers);
        Assert.Equal(h.Endpoint.Statistics.ObserversAdded - Devices, h.Endpoint.Statistics.ObserversReplaced);
    }

    private static CoapMessage Registration(string device, byte[] token) =>
        EndpointHarness.Get((ushort)(token[0] << 8 | token[1]), $"api/v1/{device}/attrs", token, CoapMessageType.NonConfirmable, Opt.Observe(0));

    private static List<(int Port, CoapMessage Message)> Drain(EndpointHarness h)
    {
        var sent = new List<(int, CoapMessage)>();
        while (h.Transport.TryTakeSent(out var bytes, out var to, TimeSpan.Zero))
        {
            Assert.True(CoapCodec.TryDecode(bytes, out var message, out _));
            sent.Add((to.Port, message));
        }
        return sent;
    }
}
