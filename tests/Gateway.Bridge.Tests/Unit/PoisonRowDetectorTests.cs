using Gateway.Bridge.Forwarding;
using Gateway.Storage.Outbox;
using Gateway.TestKit;

namespace Gateway.Bridge.Tests.Unit;

/// <summary>
/// Issue 18 "a message the broker refuses forever": the detector driven the way the forwarder and
/// the MQTT client drive it, on a manual clock: batches of messages in flight, a broker that closes
/// the connection on a poison row (MQTT 3.1.1), a link that is cut at random (fixed seed), the
/// client's resend at reconnect, and the forwarder's withdrawal, one-row isolation and dead-lettering.
/// </summary>
public class PoisonRowDetectorTests
{
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(5);

    [Fact]
    public void A_flapping_link_with_healthy_data_dead_letters_nothing_and_delivers_everything_in_order()
    {
        var link = new SimulatedLink(rows: 3000, poison: [], cutChance: 0.1, losses: 3, seed: 18);
        link.Run(turns: 20_000);
        Assert.Empty(link.DeadLettered);
        Assert.Equal(Enumerable.Range(1, 3000).Select(i => (long)i), link.DeliveredInOrder());
        Assert.True(link.Losses > 20, $"only {link.Losses} connection losses: the link did not flap");
        // Losses right after a resend did make the detector suspect and test rows alone; it condemned none.
        Assert.True(link.IsolatedLeases > 0, "the flapping never raised a suspicion: the test proves nothing");
    }

    [Fact]
    public void A_poison_row_is_dead_lettered_after_N_losses_alone_and_the_rest_is_delivered()
    {
        var link = new SimulatedLink(rows: 500, poison: [237], cutChance: 0, losses: 3, seed: 1);
        link.Run(turns: 5_000);
        Assert.Equal([237L], link.DeadLettered);
        Assert.Equal(Enumerable.Range(1, 500).Where(i => i != 237).Select(i => (long)i), link.DeliveredInOrder());
        // Two losses to suspect its message, then three with the row alone: no loss is wasted on healthy rows.
        Assert.InRange(link.Losses, 3, 8);
    }

    [Fact]
    public void Poison_rows_on_a_flapping_link_are_found_and_only_they_are_dead_lettered()
    {
        var link = new SimulatedLink(rows: 2000, poison: [5, 999, 1000, 1777], cutChance: 0.05, losses: 3, seed: 7);
        link.Run(turns: 50_000);
        Assert.Equal([5L, 999, 1000, 1777], link.DeadLettered.Order());
        Assert.Equal(1996, link.DeliveredInOrder().Count);
    }

    [Fact]
    public void With_detection_off_the_queue_stalls_behind_the_poison_row()
    {
        var link = new SimulatedLink(rows: 500, poison: [237], cutChance: 0, losses: 0, seed: 1);
        link.Run(turns: 5_000);
        Assert.Empty(link.DeadLettered);
        // Delivered up to the poison's batch, never past it: every reconnect resends the poison first.
        Assert.DoesNotContain(link.DeliveredInOrder(), id => id > 300);
        Assert.True(link.Losses > 1000, $"{link.Losses}");
    }

    [Fact]
    public void A_loss_long_after_the_send_or_before_any_connect_implicates_nothing()
    {
        var time = new ManualTimeProvider();
        var detector = new PoisonRowDetector(losses: 1, Window, time);
        var message = Message([1]);
        detector.Started(message);
        Assert.False(detector.ConnectionLost());        // never connected
        for (int i = 0; i < 5; i++)
        {
            detector.Connected();
            time.Advance(Window + TimeSpan.FromSeconds(1)); // a dead link found by keep-alive, long after the (re)send
            Assert.False(detector.ConnectionLost());
        }
        Assert.False(detector.Isolating);
        Assert.Empty(detector.TakeCondemned());
    }

    private static OutgoingMessage Message(IEnumerable<long> ids)
    {
        var rows = ids.Select(id => new OutboxEntry(id, new OutboxMessage("dev", OutboxMessageKind.Telemetry, "{\"v\":1}"u8.ToArray()), 1)).ToList();
        return new OutgoingMessage(OutboxMessageKind.Telemetry, [PayloadBuilder.PieceOf(OutboxMessageKind.Telemetry, rows, PayloadBuilder.EncodeName("dev"))]);
    }

    /// <summary>
    /// The forwarder, the client and a broker in one deterministic loop. One turn sends one message
    /// (10 ms) or reconnects (1–3 s). The broker closes on any message holding a poison row; the link
    /// is cut before a PUBACK with <c>cutChance</c>. After a loss the client resends what is in flight
    /// on the next connection, unless the detector had the batch withdrawn (rows released, re-leased in id order).
    /// </summary>
    private sealed class SimulatedLink(int rows, long[] poison, double cutChance, int losses, int seed)
    {
        private const int BatchRows = 100, RowsPerMessage = 10;
        private readonly ManualTimeProvider _time = new();
        private readonly Random _random = new(seed);
        private readonly SortedSet<long> _queued = [.. Enumerable.Range(1, rows).Select(i => (long)i)];
        private readonly List<long> _delivered = [];
        private readonly Queue<OutgoingMessage> _toSend = new();
        private readonly List<OutgoingMessage> _inFlight = [];
        private PoisonRowDetector? _detector;
        private bool _up;

        public List<long> DeadLettered { get; } = [];
        public int Losses { get; private set; }
        public int IsolatedLeases { get; private set; }

        public List<long> DeliveredInOrder() => _delivered;

        public void Run(int turns)
        {
            _detector = new PoisonRowDetector(losses, Window, _time);
            for (int turn = 0; turn < turns && (_queued.Count > 0 || _toSend.Count > 0 || _inFlight.Count > 0); turn++)
            {
                if (!_up)
                {
                    // The client reports every state: Disconnected, then Connecting (and a refused connect) before Connected.
                    Assert.False(_detector.ConnectionLost());
                    _time.Advance(TimeSpan.FromMilliseconds(_random.Next(1000, 3000)));
                    _up = true;
                    _detector.Connected();
                    // The client resends what it holds, in order, before anything new.
                    foreach (var held in _inFlight.ToList()) if (!Transmit(held)) break;
                    continue;
                }
                if (_toSend.Count == 0 && _inFlight.Count == 0) Lease();
                if (_toSend.Count == 0) continue;
                var message = _toSend.Dequeue();
                _detector.Started(message);
                _inFlight.Add(message);
                Transmit(message);
            }
        }

        private void Lease()
        {
            if (_detector!.Isolating) IsolatedLeases++;
            var batch = _queued.Take(_detector.Isolating ? 1 : BatchRows).ToList();
            foreach (var chunk in batch.Chunk(RowsPerMessage)) _toSend.Enqueue(Message(chunk));
            foreach (var id in batch) _queued.Remove(id);
        }

        /// <summary>One message on the wire; false when the connection was lost on it.</summary>
        private bool Transmit(OutgoingMessage message)
        {
            _time.Advance(TimeSpan.FromMilliseconds(10));
            if (message.RowIds.Any(poison.Contains) || _random.NextDouble() < cutChance)
            {
                Lose();
                return false;
            }
            _inFlight.Remove(message);
            _detector!.Finished(message, delivered: true);
            _delivered.AddRange(message.RowIds);
            return true;
        }

        private void Lose()
        {
            Losses++;
            _up = false;
            if (_detector!.ConnectionLost())
            {
                // Withdrawn: every publish of the batch is cancelled and its rows released.
                foreach (var m in _inFlight.Concat(_toSend))
                {
                    if (_inFlight.Contains(m)) _detector.Finished(m, delivered: false);
                    foreach (var id in m.RowIds) _queued.Add(id);
                }
                _inFlight.Clear();
                _toSend.Clear();
            }
            foreach (var id in _detector.TakeCondemned())
            {
                _queued.Remove(id);
                DeadLettered.Add(id);
            }
        }
    }
}
