using System.Text;
using Gateway.Storage.Outbox;
using Gateway.TestKit;

namespace Gateway.Storage.Tests.Outbox;

/// <summary>
/// The live-first lease of <see cref="SqliteOutbox"/> (rows per device counted in memory, <c>OutboxDeviceRows</c>)
/// against <see cref="InMemoryOutbox"/>, which decides "has this device an older row?" by looking at every row:
/// a fixed-seed random run of enqueues, drops for space, leases, acknowledgements, releases, lease expiry, clock
/// steps across the live window and reopenings, after each of which both must lease the same rows in the same order.
/// </summary>
public sealed class LiveFirstLeaseDifferentialTests : StoreTestBase, IAsyncLifetime
{
    private static readonly TimeSpan LeaseTime = TimeSpan.FromSeconds(30);
    private readonly ManualTimeProvider _clock = new();
    private InMemoryOutbox _model = null!;
    private SqliteOutbox _outbox = null!;

    public Task InitializeAsync()
    {
        // Room for about 40 rows: enqueues past that drop the oldest telemetry that is not leased.
        Options.MaxQueueBytes = 40 * 100;
        Options.MaxAge = TimeSpan.FromDays(7);
        _model = new InMemoryOutbox(Options, _clock);
        _outbox = Open();
        return Task.CompletedTask;
    }

    // The databases and their directory go with the base's Dispose, which xunit calls after this.
    public async Task DisposeAsync() => await _outbox.DisposeAsync();

    /// <summary>The outbox on the file opened afresh, as a restarted service opens it.</summary>
    private SqliteOutbox Open() => new(Reopen(), _clock, freeBytes: () => 1L << 40);

    [Theory]
    [InlineData(2112)]
    [InlineData(77)]
    [InlineData(4096)]
    public async Task Both_lease_the_same_rows_in_the_same_order_through_a_random_run(int seed)
    {
        var random = new Random(seed);
        var leased = new List<long>();
        int leases = 0, live = 0;
        for (int step = 0; step < 600; step++)
        {
            int op = random.Next(100);
            if (op < 45)
            {
                var message = new OutboxMessage($"dev-{random.Next(5)}", OutboxMessageKind.Telemetry, Encoding.ASCII.GetBytes($"{step:D6}".PadRight(31, '.')));
                var (a, b) = (await _model.EnqueueAsync(message), await _outbox.EnqueueAsync(message));
                Assert.Equal((a.Status, a.Id), (b.Status, b.Id));
            }
            else if (op < 60)
            {
                // Up to 6 s: rows cross the 10 s live window within a few steps; now and then a lease runs out (30 s).
                _clock.Advance(TimeSpan.FromMilliseconds(random.Next(6000)));
            }
            else if (op < 80)
            {
                int max = 1 + random.Next(8);
                var (a, b) = (await _model.LeaseAsync(max, LeaseTime), await _outbox.LeaseAsync(max, LeaseTime));
                Assert.Equal(a.Select(e => e.Id), b.Select(e => e.Id));
                leases++;
                if (b.Count > 0 && b[0].Id != b.Min(e => e.Id)) live++; // a younger row went first
                leased.AddRange(b.Select(e => e.Id));
            }
            else if (op < 92)
            {
                var ids = Take(random, leased);
                Assert.Equal(await _model.AckAsync(ids), await _outbox.AckAsync(ids));
            }
            else if (op < 98)
            {
                var ids = Take(random, leased);
                await _model.ReleaseAsync(ids);
                await _outbox.ReleaseAsync(ids);
            }
            else
            {
                // A restart ends every lease: the model gives them back too, and the counts come from the table again.
                await _model.ReleaseAsync(leased);
                leased.Clear();
                await _outbox.DisposeAsync();
                _outbox = Open();
            }
            Assert.Equal((await _model.GetStatsAsync()).Depth, (await _outbox.GetStatsAsync()).Depth);
        }
        // The run went through both orders: leases where the backlog came first and ones where live rows overtook it.
        Assert.InRange(live, 1, leases - 1);
    }

    private static List<long> Take(Random random, List<long> leased)
    {
        var ids = leased.Where(_ => random.Next(2) == 0).ToList();
        leased.RemoveAll(ids.Contains);
        return ids;
    }
}
