using System.Text;
using Gateway.Storage.Outbox;
using Gateway.Storage.Tests.PowerCut;
using Gateway.TestKit;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace Gateway.Storage.Tests.Outbox;

/// <summary>
/// An acknowledgement commits without waiting for the WAL's fsync (synchronous=NORMAL for that transaction): a power
/// cut right after it brings the delivered rows back, to be sent again, a duplicate and never a loss. The next device
/// write commits with synchronous=FULL again, and its fsync makes the acknowledgement durable with it. Scripted on
/// <see cref="PowerCutMount"/>, which keeps exactly what fsync made durable.
/// </summary>
public sealed class SqliteOutboxAckDurabilityTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);
    private readonly ManualTimeProvider _time = new();

    private static OutboxMessage Telemetry(string device, int n) => new(device, OutboxMessageKind.Telemetry, Encoding.UTF8.GetBytes($"{{\"n\":{n}}}"));

    [Fact]
    public async Task An_acknowledgement_alone_does_not_survive_a_power_cut_its_rows_come_back()
    {
        var payloads = await AfterPowerCut(async outbox =>
        {
            await TwoRows(outbox);
            var leased = await outbox.LeaseAsync(10, Lease);
            Assert.Equal(2, await outbox.AckAsync(leased.Select(e => e.Id).ToList()));
        });
        if (payloads is null) return;

        Assert.Equal(["{\"n\":1}", "{\"n\":2}"], payloads);
    }

    [Fact]
    public async Task A_device_write_after_an_acknowledgement_is_durable_and_takes_the_acknowledgement_with_it()
    {
        var payloads = await AfterPowerCut(async outbox =>
        {
            await TwoRows(outbox);
            var leased = await outbox.LeaseAsync(1, Lease);
            Assert.Equal(1, await outbox.AckAsync(leased.Select(e => e.Id).ToList()));
            Assert.Equal(EnqueueStatus.Committed, (await outbox.EnqueueAsync(Telemetry("dev-c", 3))).Status);
        });
        if (payloads is null) return;

        Assert.Equal(["{\"n\":2}", "{\"n\":3}"], payloads);
    }

    [Fact]
    public async Task A_release_after_an_acknowledgement_is_durable_too()
    {
        var attempts = await AfterPowerCut(async outbox =>
        {
            await TwoRows(outbox);
            var first = await outbox.LeaseAsync(1, Lease);
            var second = await outbox.LeaseAsync(1, Lease);
            await outbox.AckAsync(first.Select(e => e.Id).ToList());
            Assert.Equal(1, await outbox.ReleaseAsync(second.Select(e => e.Id).ToList()));
        }, "SELECT attempts FROM outbox ORDER BY id");
        if (attempts is null) return;

        Assert.Equal(["1"], attempts);
    }

    /// <summary>Rows {"n":1} of dev-a and {"n":2} of dev-b, committed (synchronous=FULL).</summary>
    private static async Task TwoRows(SqliteOutbox outbox)
    {
        await outbox.EnqueueAsync(Telemetry("dev-a", 1));
        await outbox.EnqueueAsync(Telemetry("dev-b", 2));
    }

    /// <summary>Runs <paramref name="work"/> on an outbox on a fresh power-cut mount, cuts the power, and reads the outbox's rows (or <paramref name="query"/>) from what survived; null where FUSE is unavailable.</summary>
    private async Task<List<string>?> AfterPowerCut(Func<SqliteOutbox, Task> work, string query = "SELECT CAST(payload AS TEXT) FROM outbox ORDER BY id")
    {
        using var mount = PowerCutMount.TryMount(ignoreFsync: false, out var reason);
        if (mount is null)
        {
            output.WriteLine("SKIPPED: " + reason);
            return null;
        }
        var options = new StorageOptions { DataDir = mount.Path };
        var database = SqliteDatabase.Open(options);
        var outbox = new SqliteOutbox(database, _time);
        await work(outbox);

        mount.Cut();
        // The cut took the files from under the open connections: closing them can only fail, and nothing they write counts.
        try
        {
            await outbox.DisposeAsync();
        }
        catch (SqliteException)
        {
        }
        SqliteConnection.ClearAllPools();

        using var reopened = SqliteDatabase.Open(options);
        using var connection = reopened.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = query;
        using var reader = command.ExecuteReader();
        var rows = new List<string>();
        while (reader.Read()) rows.Add(Convert.ToString(reader.GetValue(0), System.Globalization.CultureInfo.InvariantCulture)!);
        return rows;
    }
}
