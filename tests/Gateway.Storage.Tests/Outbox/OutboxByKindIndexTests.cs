using System.Text;
using Gateway.Storage.Outbox;
using Microsoft.Data.Sqlite;

namespace Gateway.Storage.Tests.Outbox;

/// <summary>
/// Migration 0010: the (kind, id) index holds only the rows that are not telemetry, so a commit of telemetry writes
/// none of its pages; the rare kinds are still found through it, and a version 9 database is moved over with its rows.
/// </summary>
public sealed class OutboxByKindIndexTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    private static async Task FillAsync(SqliteDatabase database)
    {
        await using var outbox = new SqliteOutbox(database);
        for (int i = 0; i < 300; i++)
            Assert.Equal(EnqueueStatus.Committed, (await outbox.EnqueueAsync(Message(OutboxMessageKind.Telemetry, $"{{\"v\":{i}}}"))).Status);
        Assert.Equal(EnqueueStatus.Committed, (await outbox.EnqueueAsync(Message(OutboxMessageKind.ClientAttributes, "{\"fw\":\"2\"}") with { AttributeKeys = ["fw"] })).Status);
        Assert.Equal(EnqueueStatus.Committed, (await outbox.EnqueueAsync(Message(OutboxMessageKind.RpcReply, "{\"id\":1}"))).Status);
    }

    private static OutboxMessage Message(OutboxMessageKind kind, string json) => new("dev", kind, Encoding.UTF8.GetBytes(json));

    private static List<string> Rows(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var rows = new List<string>();
        while (reader.Read()) rows.Add(string.Join("|", Enumerable.Range(0, reader.FieldCount).Select(i => Convert.ToString(reader.GetValue(i)))));
        return rows;
    }

    private static void AssertPartialIndex(SqliteConnection connection)
    {
        // Counted through the index itself: two entries (the attributes and the RPC reply), none of the 300 telemetry rows.
        Assert.Equal(["2"], Rows(connection, "SELECT count(*) FROM outbox INDEXED BY outbox_by_kind WHERE kind <> 1"));
        Assert.Equal(["302"], Rows(connection, "SELECT count(*) FROM outbox"));
        // The queries for the rare kinds (the awaited kinds' lease, attribute compaction) name the index's condition
        // and are planned through it, not by scanning the table.
        foreach (var sql in new[] { OutboxTable.LeasableAwaited.SkippingInFlight, OutboxTable.LeasableAwaited.NothingInFlight, OutboxTable.SupersededAttributesSql })
            Assert.Contains("USING INDEX outbox_by_kind", string.Join("\n", Rows(connection, "EXPLAIN QUERY PLAN " + sql)));
    }

    [Fact]
    public async Task TheIndex_HoldsNoTelemetry_AndFindsTheRareKinds()
    {
        using var database = SqliteDatabase.Open(_directory.Options());
        await FillAsync(database);
        using var connection = database.OpenConnection();
        AssertPartialIndex(connection);
    }

    [Fact]
    public async Task Migration_FromVersion9_MakesTheIndexPartial_AndKeepsEveryRow()
    {
        using (var database = SqliteDatabase.Open(_directory.Options()))
        {
            await FillAsync(database);
            using var connection = database.OpenConnection();
            using var command = connection.CreateCommand();
            command.CommandText = "DROP INDEX outbox_by_kind; CREATE INDEX outbox_by_kind ON outbox (kind, id); PRAGMA user_version=9;";
            command.ExecuteNonQuery();
            Assert.Equal(["302"], Rows(connection, "SELECT count(*) FROM outbox INDEXED BY outbox_by_kind WHERE kind >= 0"));
        }

        using var reopened = SqliteDatabase.Open(_directory.Options());
        using var check = reopened.OpenConnection();
        Assert.Equal(["11"], Rows(check, "PRAGMA user_version"));
        AssertPartialIndex(check);
    }

    public void Dispose() => _directory.Dispose();
}
