using System.Globalization;
using Gateway.Mqtt.Client;
using Microsoft.Data.Sqlite;

namespace Gateway.Bench.Drain;

/// <summary>
/// A prototype of the store the drain target needs (docs/performance.md, "The store's floor under the drain"): one
/// SQLite row per packed message, its payload ready to send. The same packed messages the raw publishers send are
/// written into a table before the clock starts; a process of its own (<c>Bench packed-store-pub</c>) then runs the
/// forwarder's chain over them with the gateway's own MQTT client: read a turn of rows in id order, publish them
/// QoS 1, and once every PUBACK is in delete them in one transaction committed without an fsync, as the forwarder
/// acknowledges. What it leaves out (per-device order across refusals, dead letters, pacing) is what a real store
/// adds; what it measures is whether the reads, deletes and the client keep up with the raw publishers.
/// </summary>
internal static class PackedStorePublisher
{
    private const int WarmUpRows = 200;

    /// <summary>Writes <paramref name="linesFile"/>'s messages, one row each, into a new database at <paramref name="database"/>.</summary>
    public static void Fill(string linesFile, string database)
    {
        using var connection = new SqliteConnection($"Data Source={database};Pooling=False");
        connection.Open();
        StoreFloor.Execute(connection, "PRAGMA journal_mode=WAL; CREATE TABLE packed (id INTEGER PRIMARY KEY AUTOINCREMENT, payload BLOB NOT NULL)");
        using var transaction = connection.BeginTransaction();
        using var insert = connection.CreateCommand();
        insert.CommandText = "INSERT INTO packed (payload) VALUES ($p)";
        var payload = insert.Parameters.Add("$p", SqliteType.Blob);
        foreach (var line in RawPublishers.ReadLines(linesFile))
        {
            payload.Value = line;
            insert.ExecuteNonQuery();
        }
        transaction.Commit();
    }

    /// <summary>Runs <see cref="MainAsync"/> in a process of its own on a copy of <paramref name="database"/>, until the subscriber has every row.</summary>
    public static Task ProcessAsync(int port, string database, int turn, int depth, Task delivered)
    {
        var copy = database + $".{Guid.NewGuid():N}";
        File.Copy(database, copy);
        return RawPublishers.RunSenderAsync(RawPublishers.BenchProcess("packed-store-pub", RawPublishers.P(port), copy, RawPublishers.P(turn), RawPublishers.P(depth)),
            "the packed-store publisher", delivered, input: null, mayExitFirst: true);
    }

    /// <summary>
    /// <c>Bench packed-store-pub PORT DATABASE TURN DEPTH</c>: the chain over the database's <c>packed</c> table, TURN
    /// rows (messages) a turn, DEPTH turns in flight (1: the forwarder's chain, one turn after another). First, untimed,
    /// the first rows go to a topic nobody subscribes to, not deleted, so that the JIT has compiled the path.
    /// </summary>
    public static async Task<int> MainAsync(string[] args)
    {
        if (args.Length != 4) { Console.Error.WriteLine("usage: Bench packed-store-pub PORT DATABASE TURN DEPTH"); return 2; }
        int port = int.Parse(args[0], CultureInfo.InvariantCulture), turn = int.Parse(args[2], CultureInfo.InvariantCulture);
        int depth = int.Parse(args[3], CultureInfo.InvariantCulture);
        await using var client = new MqttClient(new MqttClientOptions
        {
            Host = "127.0.0.1", Port = port, ClientId = $"drain-packed-store-{Guid.NewGuid():N}", MaxInflight = Math.Max(turn * depth, 1),
        });
        client.Start();
        await client.WaitUntilConnectedAsync();
        try
        {
            using var connection = new SqliteConnection($"Data Source={args[1]};Pooling=False");
            connection.Open();
            StoreFloor.Execute(connection, "PRAGMA synchronous=NORMAL");
            using var read = connection.CreateCommand();
            read.CommandText = "SELECT id, payload FROM packed WHERE id > $after ORDER BY id LIMIT $n";
            var after = read.Parameters.Add("$after", SqliteType.Integer);
            var limit = read.Parameters.Add("$n", SqliteType.Integer);
            using var delete = connection.CreateCommand();
            delete.CommandText = "DELETE FROM packed WHERE id > $after AND id <= $last";
            var deleteAfter = delete.Parameters.Add("$after", SqliteType.Integer);
            var deleteLast = delete.Parameters.Add("$last", SqliteType.Integer);

            List<(long Id, byte[] Payload)> Lease(long from, int count)
            {
                var rows = new List<(long, byte[])>(count);
                after.Value = from;
                limit.Value = count;
                using var reader = read.ExecuteReader();
                while (reader.Read()) rows.Add((reader.GetInt64(0), (byte[])reader.GetValue(1)));
                return rows;
            }
            List<ValueTask<MqttPublishResult>> Publish(List<(long Id, byte[] Payload)> rows, string topic) =>
                [.. rows.Select(r => client.PublishAsync(new MqttMessage { Topic = topic, Payload = r.Payload }))];
            static async Task AwaitAcksAsync(List<ValueTask<MqttPublishResult>> acks)
            {
                foreach (var ack in acks)
                {
                    var result = await ack;
                    if (!result.IsSuccess) throw new InvalidOperationException($"publish refused: {result.ReasonCode}");
                }
            }

            for (long from = 0; from < WarmUpRows; from += turn)
            {
                var rows = Lease(from, turn);
                if (rows.Count == 0) break;
                await AwaitAcksAsync(Publish(rows, "bench/warm-up"));
            }
            // Up to DEPTH turns in flight; each is deleted, in id order, once all its PUBACKs are in.
            var inFlight = new Queue<(long Last, List<ValueTask<MqttPublishResult>> Acks)>();
            for (long leased = 0, deleted = 0; ;)
            {
                while (inFlight.Count < depth && Lease(leased, turn) is { Count: > 0 } rows)
                {
                    inFlight.Enqueue((rows[^1].Id, Publish(rows, RowCounter.Topic)));
                    leased = rows[^1].Id;
                }
                if (!inFlight.TryDequeue(out var done)) break;
                await AwaitAcksAsync(done.Acks);
                using var transaction = connection.BeginTransaction();
                delete.Transaction = transaction;
                deleteAfter.Value = deleted;
                deleteLast.Value = done.Last;
                delete.ExecuteNonQuery();
                transaction.Commit();
                deleted = done.Last;
            }
        }
        finally
        {
            await client.StopAsync();
            foreach (var file in (string[])[args[1], args[1] + "-wal", args[1] + "-shm"])
                try { File.Delete(file); } catch (IOException) { }
        }
        return 0;
    }
}
