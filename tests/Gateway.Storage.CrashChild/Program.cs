// Usage: Gateway.Storage.CrashChild <data-dir> <run-name> <writers>
// Prints "ack <id> <run-name> <seq> ." for every enqueue that returned Committed, each line in one
// write(2) so a SIGKILL can never leave half a line that the parent would mistake for an ack.
using System.Text;
using Gateway.Storage;
using Gateway.Storage.Outbox;

var options = new StorageOptions { DataDir = args[0], MinFreeBytes = 0 };
var run = args[1];
var writers = int.Parse(args[2]);

using var database = SqliteDatabase.Open(options);
await using var outbox = new SqliteOutbox(database);
using var stdout = Console.OpenStandardOutput();
var writeLock = new object();
var sequence = 0;

await Task.WhenAll(Enumerable.Range(0, writers).Select(_ => Task.Run(async () =>
{
    while (true)
    {
        var seq = Interlocked.Increment(ref sequence);
        var message = new OutboxMessage($"dev-{seq % 7}", OutboxMessageKind.Telemetry, Encoding.ASCII.GetBytes($"{run} {seq}"))
        {
            ReceivedAt = DateTimeOffset.UtcNow,
        };
        var dedup = new DedupRecord(run, seq, Encoding.ASCII.GetBytes($"resp {seq}"), TimeSpan.FromHours(1));
        var result = await outbox.EnqueueAsync(message, dedup);
        if (result.Status != EnqueueStatus.Committed)
        {
            Environment.FailFast($"unexpected {result.Status} for {seq}");
        }
        var line = Encoding.ASCII.GetBytes($"ack {result.Id} {run} {seq} .\n");
        lock (writeLock)
        {
            stdout.Write(line);
            stdout.Flush();
        }
    }
})));
