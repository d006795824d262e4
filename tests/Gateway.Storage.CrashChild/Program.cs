// Usage: Gateway.Storage.CrashChild <data-dir> <run-name> <writers> [steady|ack-first|enqueue|drain]
// The victim of the crash and power-cut tests (tests/Gateway.Storage.Tests/Outbox/CrashHarness.cs). Prints, each
// line in one write(2) so a SIGKILL never leaves half a line:
//   "ready ."                     once the outbox is open (the parent's restart-to-ready figure);
//   "ack <id> <run> <seq> ."      for every enqueue that returned Committed;
//   "dlv <id> <run> <seq> ."      for every row the delivery loop hands "upstream", before it acks the row, as a
//                                 forwarder does (a kill between the two makes a duplicate, never a loss).
// steady: writers enqueue and the delivery loop drains until SIGKILL. ack-first: the negative control, a broken
// build that acknowledges before the commit (prints "ack 0 …" before enqueueing), so kills must show losses.
// enqueue: writers only, nothing delivered until the final drain, so every acknowledged row must survive every kill
// (the power-cut control uses it: on a file system that ignores fsync, the losses are then plain to see).
// drain: deliver everything left, then exit 0.
using System.Text;
using Gateway.Storage;
using Gateway.Storage.Outbox;

var options = new StorageOptions { DataDir = args[0], MinFreeBytes = 0 };
var run = args[1];
var writers = int.Parse(args[2]);
var mode = args.Length > 3 ? args[3] : "steady";

using var database = SqliteDatabase.Open(options);
await using var outbox = new SqliteOutbox(database);
using var stdout = Console.OpenStandardOutput();
var writeLock = new object();
var sequence = 0;

void Print(string line)
{
    var bytes = Encoding.ASCII.GetBytes(line + "\n");
    lock (writeLock)
    {
        stdout.Write(bytes);
        stdout.Flush();
    }
}

async Task<int> DeliverOnce()
{
    var batch = await outbox.LeaseAsync(50, TimeSpan.FromMinutes(5));
    foreach (var entry in batch)
    {
        Print($"dlv {entry.Id} {Encoding.ASCII.GetString(entry.Message.Payload.Span)} .");
    }
    if (batch.Count > 0)
    {
        await outbox.AckAsync(batch.Select(e => e.Id).ToList());
    }
    return batch.Count;
}

Print("ready .");
if (mode == "drain")
{
    while (await DeliverOnce() > 0)
    {
    }
    return;
}

var delivery = mode == "enqueue" ? Task.CompletedTask : Task.Run(async () =>
{
    while (true)
    {
        if (await DeliverOnce() == 0)
        {
            await Task.Delay(5);
        }
    }
});

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
        if (mode == "ack-first")
        {
            Print($"ack 0 {run} {seq} .");
        }
        var result = await outbox.EnqueueAsync(message, dedup);
        if (result.Status != EnqueueStatus.Committed)
        {
            Environment.FailFast($"unexpected {result.Status} for {seq}");
        }
        if (mode != "ack-first")
        {
            Print($"ack {result.Id} {run} {seq} .");
        }
    }
})).Append(delivery));
