using System.Text;
using Gateway.Storage.Outbox;
using Gateway.TestKit;

namespace Gateway.Storage.Tests.Outbox;

/// <summary>Issue 18: the dead-letter table as the CLI changes it and the service applies it (retry, drop, pruning).</summary>
public sealed class DeadLetterRegisterTests : IDisposable
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);
    private readonly TempDirectory _directory = new();
    private readonly ManualTimeProvider _time = new();

    private static OutboxMessage Telemetry(string device, int n) => new(device, OutboxMessageKind.Telemetry, Encoding.UTF8.GetBytes($"{{\"n\":{n}}}"));

    private static string Text(OutboxEntry e) => Encoding.UTF8.GetString(e.Message.Payload.Span);

    [Fact]
    public async Task A_retried_dead_letter_goes_back_under_its_own_id_ahead_of_later_rows_and_is_counted_in_the_queue()
    {
        using var database = SqliteDatabase.Open(_directory.Options());
        await using var outbox = new SqliteOutbox(database, _time);
        var ids = new List<long>();
        for (int n = 0; n < 4; n++) ids.Add((await outbox.EnqueueAsync(Telemetry(n % 2 == 0 ? "a" : "b", n))).Id);
        await outbox.LeaseAsync(1, Lease);
        await outbox.DeadLetterAsync([ids[0]], DeadLetterCause.KillsConnection, "closes the connection");
        var before = await outbox.GetStatsAsync();

        Assert.Equal("kills_connection", Assert.Single(DeadLetterRegister.List(database)).Cause);
        Assert.Equal(1, DeadLetterRegister.CountsByCause(database)["kills_connection"]);
        Assert.Equal(1, DeadLetterRegister.MarkForRetry(database, ids[0]));
        Assert.True(Assert.Single(DeadLetterRegister.List(database)).RetryMarked);
        await outbox.PurgeExpiredAsync();

        Assert.Empty(DeadLetterRegister.List(database));
        var after = await outbox.GetStatsAsync();
        Assert.Equal(before.Depth + 1, after.Depth);
        Assert.True(after.Bytes > before.Bytes);
        Assert.Equal(1, after.DeadLetters);     // ever moved: a retry does not lower it
        var leased = await outbox.LeaseAsync(10, Lease);
        Assert.Equal(ids, leased.Select(e => e.Id));
        Assert.Equal("{\"n\":0}", Text(leased[0]));
    }

    [Fact]
    public async Task Drop_deletes_one_or_all_and_an_unknown_id_changes_nothing()
    {
        using var database = SqliteDatabase.Open(_directory.Options());
        await using var outbox = new SqliteOutbox(database, _time);
        var ids = new List<long>();
        for (int n = 0; n < 3; n++) ids.Add((await outbox.EnqueueAsync(Telemetry("a", n))).Id);
        await outbox.DeadLetterAsync(ids, DeadLetterCause.Refused, "0x95");

        Assert.Equal(0, DeadLetterRegister.Drop(database, 999));
        Assert.Equal(1, DeadLetterRegister.Drop(database, ids[1]));
        Assert.Equal([ids[0], ids[2]], DeadLetterRegister.List(database).Select(d => d.Id));
        Assert.Equal(2, DeadLetterRegister.Drop(database, null));
        Assert.Empty(DeadLetterRegister.List(database));
        Assert.Equal(3, (await outbox.GetStatsAsync()).DeadLetters);
    }

    [Fact]
    public async Task The_sweep_prunes_dead_letters_by_age_then_the_oldest_over_the_byte_limit()
    {
        var options = _directory.Options();
        options.DeadLetterMaxAge = TimeSpan.FromDays(1);
        options.DeadLetterMaxBytes = 200;   // rows of about 70 accounted bytes: two fit
        using var database = SqliteDatabase.Open(options);
        await using var outbox = new SqliteOutbox(database, _time);
        async Task<long> Enqueue(int n) => (await outbox.EnqueueAsync(Telemetry("a", n))).Id;

        var old = await Enqueue(0);
        await outbox.DeadLetterAsync([old], DeadLetterCause.Invalid, "bad");
        _time.Advance(TimeSpan.FromDays(2));
        var rows = new List<long>();
        for (int n = 1; n <= 5; n++)
        {
            var id = await Enqueue(n);
            rows.Add(id);
            await outbox.DeadLetterAsync([id], DeadLetterCause.Invalid, "bad");
            _time.Advance(TimeSpan.FromMinutes(1));
        }
        await outbox.PurgeExpiredAsync();

        var kept = DeadLetterRegister.List(database).Select(d => d.Id).ToList();
        Assert.DoesNotContain(old, kept);                 // past DeadLetterMaxAge
        Assert.NotEmpty(kept);
        Assert.True(kept.Count < rows.Count, $"{kept.Count} kept: nothing pruned by size");
        Assert.Equal(rows.TakeLast(kept.Count), kept);     // the newest are the ones kept
    }

    public void Dispose() => _directory.Dispose();
}
