using System.Diagnostics;
using Gateway.Storage;
using Gateway.Storage.Outbox;

namespace Gateway.Bench;

/// <summary>
/// Outbox write path: acknowledged enqueues/s and commits (= WAL fsyncs, synchronous=FULL) per second
/// at 1, 16 and 256 concurrent writers, group commit against one transaction per row, plus bytes
/// written per message (/proc/self/io) and database+WAL growth. Each point runs on a fresh database.
/// With <c>--dedup</c> every enqueue also carries a CoAP dedup record keyed like the telemetry resource's
/// ("ip:port#MID" of one of <c>--peers</c> clients, MIDs counting up per client), on a table first filled
/// with <c>--prefill</c> live records of the same clients, so the write cost of the record is seen at a
/// realistic table size (issue #21: 247 s of records at 20,000 writes/s is ~5 million).
/// </summary>
internal static class StorageBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Contains("--help"))
        {
            Console.WriteLine("Bench storage [--seconds S=3] [--payload BYTES=150] [--dir DIR=$TMPDIR] [--writers 1,16,256] [--modes group,row]");
            Console.WriteLine("              [--dedup none,record] [--peers 256] [--prefill ROWS=0]   (none,record: each point without and with a dedup record, interleaved)");
            return 0;
        }
        var seconds = double.Parse(Option(args, "--seconds") ?? "3", System.Globalization.CultureInfo.InvariantCulture);
        var payload = int.Parse(Option(args, "--payload") ?? "150");
        var root = Option(args, "--dir") ?? Path.GetTempPath();
        var writerCounts = (Option(args, "--writers") ?? "1,16,256").Split(',').Select(int.Parse).ToArray();
        var modes = (Option(args, "--modes") ?? "group,row").Split(',').Select(m => m == "group").ToArray();
        var dedupModes = (Option(args, "--dedup") ?? "none").Split(',').Select(m => m == "record").ToArray();
        var peers = int.Parse(Option(args, "--peers") ?? "256");
        var prefill = int.Parse(Option(args, "--prefill") ?? "0");

        Console.WriteLine($"outbox enqueue, {payload} B payload, {seconds:0.#} s per point, WAL + synchronous=FULL, dir {root}");
        Console.WriteLine();
        Console.WriteLine("| mode | dedup record | writers | acked msg/s | commits (fsync)/s | msgs/commit | p50 ack ms | p99 ack ms | CPU µs/msg (process) | wchar B/msg | write_bytes B/msg | db+wal growth B/msg |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var grouped in modes)
        {
            foreach (var writers in writerCounts)
            {
                foreach (var dedup in dedupModes)
                {
                    var keys = dedup ? new DedupKeys(peers, prefill) : null;
                    var point = await MeasureAsync(root, grouped, writers, payload, TimeSpan.FromSeconds(seconds), keys);
                    Console.WriteLine(point);
                }
            }
        }
        return 0;
    }

    private static async Task<string> MeasureAsync(string root, bool grouped, int writers, int payloadBytes, TimeSpan duration, DedupKeys? keys)
    {
        var dir = Path.Combine(root, $"gw-bench-{Guid.NewGuid():N}");
        try
        {
            var options = new StorageOptions
            {
                DataDir = dir,
                MaxBatchSize = grouped ? 1024 : 1,
                MinFreeBytes = 0,
                MaxQueueBytes = long.MaxValue / 4,
                IntegrityCheckOnOpen = IntegrityCheck.None,
            };
            using var database = SqliteDatabase.Open(options);
            keys?.Prefill(database);
            await using var outbox = new SqliteOutbox(database);
            var payload = new byte[payloadBytes];
            Random.Shared.NextBytes(payload);
            await outbox.EnqueueAsync(new OutboxMessage("warm-up", OutboxMessageKind.Telemetry, payload));

            var sizeBefore = DirectoryBytes(dir);
            var (wcharBefore, writeBytesBefore) = ProcIo();
            var commitsBefore = (await outbox.GetStatsAsync()).Commits;
            var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            var stop = false;
            var latencies = new List<double>[writers];
            var clock = Stopwatch.StartNew();
            var tasks = Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
            {
                var mine = latencies[w] = new List<double>(1 << 14);
                var device = $"device-{w % 50:D2}";
                while (!Volatile.Read(ref stop))
                {
                    var started = Stopwatch.GetTimestamp();
                    var result = await outbox.EnqueueAsync(new OutboxMessage(device, OutboxMessageKind.Telemetry, payload), keys?.Next());
                    if (result.Status != EnqueueStatus.Committed)
                    {
                        throw new InvalidOperationException($"bench enqueue {result.Status}");
                    }
                    mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                }
            })).ToArray();
            await Task.Delay(duration);
            Volatile.Write(ref stop, true);
            await Task.WhenAll(tasks);
            var elapsed = clock.Elapsed.TotalSeconds;

            var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
            var commits = (await outbox.GetStatsAsync()).Commits - commitsBefore;
            var (wcharAfter, writeBytesAfter) = ProcIo();
            var growth = DirectoryBytes(dir) - sizeBefore;
            var all = latencies.SelectMany(l => l).Order().ToArray();
            double n = all.Length;
            return $"| {(grouped ? "group commit" : "txn per row")} | {(keys is null ? "no" : "yes")} | {writers} | {n / elapsed:N0} | {commits / elapsed:N0} | {n / commits:N1} | " +
                   $"{Percentile(all, 0.50):0.00} | {Percentile(all, 0.99):0.00} | {cpu.TotalMicroseconds / n:N1} | {(wcharAfter - wcharBefore) / n:N0} | " +
                   $"{(writeBytesAfter - writeBytesBefore) / n:N0} | {growth / n:N0} |";
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static double Percentile(double[] sorted, double p) => sorted.Length == 0 ? 0 : sorted[(int)Math.Min(sorted.Length - 1, p * sorted.Length)];

    private static long DirectoryBytes(string dir) => Directory.GetFiles(dir).Sum(f => new FileInfo(f).Length);

    // wchar: bytes handed to write(2)/pwrite(2) (WAL frames, checkpoints); write_bytes: bytes the process caused to reach the block layer.
    private static (long Wchar, long WriteBytes) ProcIo()
    {
        var fields = File.ReadAllLines("/proc/self/io").Select(l => l.Split(':', 2)).ToDictionary(p => p[0], p => long.Parse(p[1].Trim()));
        return (fields["wchar"], fields["write_bytes"]);
    }

    private static string? Option(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
