using System.Text;
using Gateway.Storage.Outbox;
using Gateway.TestKit;
using Microsoft.Data.Sqlite;

namespace Gateway.Storage.Tests.Outbox;

/// <summary>
/// Leases live in the owning process (<see cref="OutboxLeases"/>): leasing writes nothing to the
/// database, and what must outlive the process, how often a row was tried, is written when a lease
/// ends without delivery (release, dead letter, expiry, a clean stop).
/// </summary>
public sealed class SqliteOutboxLeaseTests : IDisposable
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);
    private readonly TempDirectory _directory = new();
    private readonly ManualTimeProvider _time = new();

    private static OutboxMessage Telemetry(string device, int n) => new(device, OutboxMessageKind.Telemetry, Encoding.UTF8.GetBytes($"{{\"n\":{n}}}"));

    private async Task<T> WithOutbox<T>(Func<SqliteOutbox, Task<T>> work)
    {
        using var database = SqliteDatabase.Open(_directory.Options());
        await using var outbox = new SqliteOutbox(database, _time);
        return await work(outbox);
    }

    /// <summary>SQLite's count of commits by other connections, as another connection sees it.</summary>
    private static long DataVersion(SqliteConnection watcher)
    {
        using var command = watcher.CreateCommand();
        command.CommandText = "PRAGMA data_version";
        return (long)command.ExecuteScalar()!;
    }

    [Fact]
    public async Task A_lease_writes_nothing_an_acknowledgement_commits()
    {
        using var database = SqliteDatabase.Open(_directory.Options());
        await using var outbox = new SqliteOutbox(database, _time);
        for (int i = 0; i < 5; i++) await outbox.EnqueueAsync(Telemetry($"dev-{i % 2}", i));
        using var watcher = database.OpenConnection();
        var before = DataVersion(watcher);

        var leased = await outbox.LeaseAsync(10, Lease);

        Assert.Equal(5, leased.Count);
        Assert.Equal(before, DataVersion(watcher));
        Assert.Empty(await outbox.LeaseAsync(10, Lease)); // in flight: not leased twice
        Assert.Equal(before, DataVersion(watcher));

        Assert.Equal(5, await outbox.AckAsync(leased.Select(e => e.Id).ToList()));
        Assert.NotEqual(before, DataVersion(watcher));
    }

    [Fact]
    public async Task An_acknowledgement_deletes_from_what_the_lease_kept_and_agrees_with_the_table()
    {
        using var database = SqliteDatabase.Open(_directory.Options());
        await using (var outbox = new SqliteOutbox(database, _time))
        {
            for (int i = 0; i < 6; i++) await outbox.EnqueueAsync(Telemetry($"dev-{i % 3}", i));
            await outbox.EnqueueAsync(new OutboxMessage("dev-0", OutboxMessageKind.ClientAttributes, "{\"fw\":\"2\",\"mode\":\"eco\"}"u8.ToArray()) { AttributeKeys = ["fw", "mode"] });
            await outbox.EnqueueAsync(Telemetry("dev-9", 99));
            var leased = await outbox.LeaseAsync(100, Lease);
            Assert.Equal(8, leased.Count);
            var unleased = leased[^1].Id;
            await outbox.ReleaseAsync([unleased]);

            // Leased rows (the attribute row among them), one of them twice, an id never there, and a row not leased.
            var acked = leased.Take(7).Select(e => e.Id).Append(leased[0].Id).Append(987654).Append(unleased).ToList();
            Assert.Equal(8, await outbox.AckAsync(acked));

            var stats = await outbox.GetStatsAsync();
            Assert.Equal(0, stats.Depth);
            Assert.Equal(0, stats.Bytes);
            // The devices' row counts went down with them: a new row of dev-0 is live (its device has no older row)
            // and is leased ahead of an older row of another device.
            await outbox.EnqueueAsync(Telemetry("dev-5", 50));
            _time.Advance(TimeSpan.FromMilliseconds(OutboxPolicy.LiveWindowMs + 1));
            await outbox.EnqueueAsync(Telemetry("dev-0", 100));
            Assert.Equal("{\"n\":100}", Encoding.UTF8.GetString(Assert.Single(await outbox.LeaseAsync(1, Lease)).Message.Payload.Span));
        }

        using var connection = database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT (SELECT count(*) FROM outbox), (SELECT count(*) FROM outbox_key)";
        using var reader = command.ExecuteReader();
        Assert.True(reader.Read());
        Assert.Equal(2, reader.GetInt64(0));
        Assert.Equal(0, reader.GetInt64(1));
        Assert.Equal(2, SqliteOutbox.ReadStats(database).Depth);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task An_acknowledgement_of_runs_and_scattered_ids_deletes_exactly_them(int seed)
    {
        // Consecutive ids are deleted as ranges: a range must never take the unacknowledged row in a gap, whatever the
        // order the ids come in, runs of every length (across the 128-row chunks), duplicates and ids not leased.
        using var database = SqliteDatabase.Open(_directory.Options());
        await using var outbox = new SqliteOutbox(database, _time);
        for (int i = 0; i < 600; i++) await outbox.EnqueueAsync(Telemetry($"dev-{i % 7}", i));
        var leased = (await outbox.LeaseAsync(600, Lease)).Select(e => e.Id).ToList();
        var random = new Random(seed);
        var acked = new List<long>();
        for (int i = 0; i < leased.Count;)
        {
            int run = random.Next(4) switch { 0 => 1, 1 => random.Next(2, 5), 2 => random.Next(5, 40), _ => random.Next(100, 200) };
            acked.AddRange(leased.Skip(i).Take(run));
            i += run + 1 + random.Next(3);  // a gap of one to three rows stays
        }
        var given = acked.Concat(acked.Take(5)).Append(987654).OrderBy(_ => random.Next()).ToList();

        Assert.Equal(acked.Count, await outbox.AckAsync(given));

        var kept = leased.Except(acked).ToList();
        var stats = await outbox.GetStatsAsync();
        Assert.Equal(kept.Count, stats.Depth);
        await outbox.ReleaseAsync(leased);
        Assert.Equal(kept, (await outbox.LeaseAsync(600, Lease)).Select(e => e.Id));
    }

    [Fact]
    public async Task A_released_attempt_is_counted_in_the_database()
    {
        await WithOutbox(async outbox =>
        {
            await outbox.EnqueueAsync(Telemetry("dev-a", 1));
            var first = await outbox.LeaseAsync(10, Lease);
            Assert.Equal(1, await outbox.ReleaseAsync(first.Select(e => e.Id).ToList()));
            // Released twice (the first time ended the lease): counted once.
            Assert.Equal(0, await outbox.ReleaseAsync(first.Select(e => e.Id).ToList()));
            return 0;
        });

        var again = await WithOutbox(async outbox => await outbox.LeaseAsync(10, Lease));

        Assert.Equal(2, Assert.Single(again).Attempts);
    }

    [Fact]
    public async Task A_lease_that_ran_out_is_counted_once_and_its_rows_lease_again_in_order()
    {
        var ids = await WithOutbox(async outbox =>
        {
            var a = (await outbox.EnqueueAsync(Telemetry("dev-a", 1))).Id;
            var b = (await outbox.EnqueueAsync(Telemetry("dev-a", 2))).Id;
            await outbox.LeaseAsync(10, Lease); // its turn failed: never acknowledged nor released
            _time.Advance(Lease);
            var again = await outbox.LeaseAsync(10, Lease);
            Assert.Equal([a, b], again.Select(e => e.Id));
            Assert.All(again, e => Assert.Equal(2, e.Attempts));
            await outbox.ReleaseAsync(again.Select(e => e.Id).ToList());
            return new[] { a, b };
        });

        var third = await WithOutbox(async outbox => await outbox.LeaseAsync(10, Lease));

        Assert.Equal(ids, third.Select(e => e.Id));
        Assert.All(third, e => Assert.Equal(3, e.Attempts));
    }

    [Fact]
    public async Task A_dead_letter_records_the_attempt_that_ended_in_it()
    {
        using var database = SqliteDatabase.Open(_directory.Options());
        await using (var outbox = new SqliteOutbox(database, _time))
        {
            await outbox.EnqueueAsync(Telemetry("dev-a", 1));
            var first = await outbox.LeaseAsync(10, Lease);
            await outbox.ReleaseAsync(first.Select(e => e.Id).ToList());
            var second = await outbox.LeaseAsync(10, Lease);

            Assert.Equal(1, await outbox.DeadLetterAsync(second.Select(e => e.Id).ToList(), DeadLetterCause.Refused, "broker refused: PayloadFormatInvalid (0x99)"));
        }

        var dead = Assert.Single(DeadLetterRegister.List(database));
        Assert.Equal(2, dead.Attempts);
    }

    [Fact]
    public async Task Leases_an_older_version_wrote_into_the_table_hold_nothing_back()
    {
        long id = await WithOutbox(async outbox => (await outbox.EnqueueAsync(Telemetry("dev-a", 1))).Id);
        using (var database = SqliteDatabase.Open(_directory.Options()))
        using (var connection = database.OpenConnection())
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "UPDATE outbox SET lease_until = 9223372036854775807, attempts = 1";
            Assert.Equal(1, command.ExecuteNonQuery());
        }

        var leased = await WithOutbox(async outbox => await outbox.LeaseAsync(10, Lease));

        Assert.Equal(id, Assert.Single(leased).Id);
        Assert.Equal(2, leased[0].Attempts);
    }

    [Fact]
    public async Task Device_writes_during_a_large_acknowledgement_are_all_kept_and_counted()
    {
        using var database = SqliteDatabase.Open(_directory.Options());
        await using var outbox = new SqliteOutbox(database, _time);
        for (int i = 0; i < 3000; i++) await outbox.EnqueueAsync(Telemetry($"dev-{i % 100}", i));
        var leased = await outbox.LeaseAsync(3000, Lease);
        Assert.Equal(3000, leased.Count);

        // 16 devices keep writing while the acknowledgement, chunk by chunk, gives them the connection.
        using var stop = new CancellationTokenSource();
        var writers = Enumerable.Range(0, 16).Select(w => Task.Run(async () =>
        {
            var ids = new List<long>();
            for (int n = 0; !stop.IsCancellationRequested || n < 5; n++)
            {
                var result = await outbox.EnqueueAsync(Telemetry($"live-{w}", n));
                Assert.Equal(EnqueueStatus.Committed, result.Status);
                ids.Add(result.Id);
            }
            return ids;
        })).ToList();
        var acked = await outbox.AckAsync(leased.Select(e => e.Id).ToList());
        await stop.CancelAsync();
        var written = (await Task.WhenAll(writers)).SelectMany(ids => ids).ToHashSet();

        Assert.Equal(3000, acked);
        Assert.Equal(written.Count, (await outbox.GetStatsAsync()).Depth);
        var rest = await outbox.LeaseAsync(100_000, Lease);
        Assert.True(written.SetEquals(rest.Select(e => e.Id)), "the device writes are exactly what is left");
    }

    public void Dispose() => _directory.Dispose();
}
