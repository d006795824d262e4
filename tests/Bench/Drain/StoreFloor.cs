using System.Diagnostics;
using Microsoft.Data.Sqlite;

namespace Gateway.Bench.Drain;

/// <summary>
/// The least any drain of this outbox does, with no MQTT and no packing: read the backlog's rows in id order
/// and delete them, <c>batch</c> rows per turn, each delete its own transaction committed without an fsync
/// (as the forwarder's acknowledgement commits), on a copy of the gateway's own data directory, through the
/// SQLite library the gateway ships. The rows are summed inside SQLite (every column the lease reads), so
/// none of the time is .NET's. A drain that keeps one row per reading cannot be faster than this.
/// </summary>
internal static class StoreFloor
{
    public readonly record struct Result(long Rows, double Seconds, double ReadSeconds, double DeleteSeconds);

    /// <summary>Reads and deletes every row of <paramref name="dataDir"/>'s outbox (a copy: <see cref="Backlog.CopyDataDir"/>).</summary>
    public static Result Measure(string dataDir, int batch)
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(dataDir, "gateway.db")};Pooling=False");
        connection.Open();
        // The gateway's database is in WAL mode already (persistent); commits without an fsync, as an acknowledgement's.
        Execute(connection, "PRAGMA synchronous=NORMAL");

        using var read = connection.CreateCommand();
        read.CommandText = """
            SELECT count(*), max(id), total(length(device)) + total(kind) + total(length(payload)) + total(content_format)
                 + total(received_at_ms) + total(clock_synced) + total(enqueued_clock) + total(attempts) + total(size)
            FROM (SELECT * FROM outbox WHERE id > $after ORDER BY id LIMIT $batch)
            """;
        var after = read.Parameters.Add("$after", SqliteType.Integer);
        read.Parameters.AddWithValue("$batch", batch);
        using var delete = connection.CreateCommand();
        delete.CommandText = "DELETE FROM outbox WHERE id > $after AND id <= $last";
        var deleteAfter = delete.Parameters.Add("$after", SqliteType.Integer);
        var deleteLast = delete.Parameters.Add("$last", SqliteType.Integer);

        long last = 0, rows = 0, readTicks = 0, deleteTicks = 0;
        var total = Stopwatch.StartNew();
        while (true)
        {
            long start = Stopwatch.GetTimestamp();
            after.Value = last;
            long count, upTo;
            using (var reader = read.ExecuteReader())
            {
                reader.Read();
                count = reader.GetInt64(0);
                upTo = count > 0 ? reader.GetInt64(1) : last;
            }
            long mid = Stopwatch.GetTimestamp();
            readTicks += mid - start;
            if (count == 0) break;
            using (var transaction = connection.BeginTransaction())
            {
                delete.Transaction = transaction;
                deleteAfter.Value = last;
                deleteLast.Value = upTo;
                delete.ExecuteNonQuery();
                transaction.Commit();
            }
            deleteTicks += Stopwatch.GetTimestamp() - mid;
            rows += count;
            last = upTo;
        }
        total.Stop();
        return new Result(rows, total.Elapsed.TotalSeconds, (double)readTicks / Stopwatch.Frequency, (double)deleteTicks / Stopwatch.Frequency);
    }

    /// <summary>One statement without parameters or results (a PRAGMA, DDL).</summary>
    internal static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
