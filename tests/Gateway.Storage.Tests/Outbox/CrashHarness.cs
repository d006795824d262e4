using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Gateway.Storage.Tests.Outbox;

/// <summary>
/// The kill-restart-verify loop shared by the crash test (<see cref="OutboxCrashTests"/>) and the power-cut test
/// (<see cref="OutboxPowerCutTests"/>): runs Gateway.Storage.CrashChild on <paramref name="directory"/>, kills it at a
/// random instant after its first acknowledgement, lets the caller do what else the fault does (<c>afterKill</c>: the
/// power cut), checks integrity, and at the end drains and verifies acked ⊆ delivered, per-device order and dedup records.
/// </summary>
public sealed class CrashHarness(string directory)
{
    public CrashResult Run(int kills, string mode, Action? afterKill = null)
    {
        var seed = Environment.TickCount;
        var random = new Random(seed);
        var acked = new HashSet<string>(StringComparer.Ordinal);
        var delivered = new List<(long Id, string Key)>();
        var readyMs = new List<double>();
        int integrityOk = 0;

        for (var kill = 0; kill < kills; kill++)
        {
            var lines = RunChild($"run{kill}", mode, out var ready, until: (process, firstAck) =>
            {
                Assert.True(firstAck.Wait(TimeSpan.FromSeconds(30)), "the child never acknowledged anything");
                Thread.Sleep(random.Next(0, 200));
                process.Kill(); // SIGKILL on Unix
            });
            afterKill?.Invoke();
            readyMs.Add(ready);
            Collect(lines, acked, delivered);
            integrityOk += IntegrityOk() ? 1 : 0;
        }
        // The last run delivers everything the killed ones left behind.
        Collect(RunChild("drain", "drain", out _, until: null), acked, delivered);
        return Verify(seed, acked, delivered, readyMs, integrityOk);
    }

    /// <summary>Runs the child until <paramref name="until"/> kills it (or, when null, until it exits); returns its lines and time to "ready".</summary>
    private List<string> RunChild(string run, string mode, out double readyMs, Action<Process, ManualResetEventSlim>? until)
    {
        var child = Path.Combine(AppContext.BaseDirectory, "Gateway.Storage.CrashChild.dll");
        var lines = new ConcurrentQueue<string>();
        var firstAck = new ManualResetEventSlim();
        var ready = new ManualResetEventSlim();
        using var process = new Process
        {
            StartInfo = new ProcessStartInfo("dotnet")
            {
                ArgumentList = { child, directory, run, "16", mode },
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            },
        };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not { } line) return;
            lines.Enqueue(line);
            if (line.StartsWith("ready", StringComparison.Ordinal)) ready.Set();
            if (line.StartsWith("ack", StringComparison.Ordinal)) firstAck.Set();
        };
        var clock = Stopwatch.StartNew();
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        Assert.True(ready.Wait(TimeSpan.FromSeconds(30)), "the child never became ready");
        readyMs = clock.Elapsed.TotalMilliseconds;
        if (until is null) Assert.True(process.WaitForExit(120_000), "the draining child did not finish");
        else until(process, firstAck);
        process.WaitForExit();
        return [.. lines];
    }

    private static void Collect(List<string> lines, HashSet<string> acked, List<(long, string)> delivered)
    {
        foreach (var line in lines)
        {
            var parts = line.Split(' ');
            if (parts is ["ready", "."]) continue;
            Assert.True(parts is ["ack" or "dlv", _, _, _, "."], $"malformed child line '{line}'");
            var key = $"{parts[2]} {parts[3]}";
            if (parts[0] == "ack") Assert.True(acked.Add(key), $"acknowledged twice: {line}");
            else delivered.Add((long.Parse(parts[1], CultureInfo.InvariantCulture), key));
        }
    }

    private bool IntegrityOk()
    {
        using var database = SqliteDatabase.Open(new StorageOptions { DataDir = directory, IntegrityCheckOnOpen = IntegrityCheck.Full });
        var ok = database.CheckIntegrity(full: true) is ["ok"];
        SqliteConnection.ClearAllPools();
        return ok;
    }

    private CrashResult Verify(int seed, HashSet<string> acked, List<(long Id, string Key)> delivered, List<double> readyMs, int integrityOk)
    {
        var distinct = new HashSet<string>(delivered.Select(d => d.Key), StringComparer.Ordinal);
        var lost = acked.Where(a => !distinct.Contains(a)).ToList();

        // Per device (dev-<seq % 7>, the child's rule), first deliveries must come in outbox id (commit) order.
        var violations = new List<string>();
        var lastId = new Dictionary<string, long>();
        var first = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (id, key) in delivered)
        {
            if (!first.Add(key)) continue;
            var device = "dev-" + (int.Parse(key.Split(' ')[1], CultureInfo.InvariantCulture) % 7).ToString(CultureInfo.InvariantCulture);
            if (lastId.TryGetValue(device, out var previous) && id <= previous) violations.Add($"{device}: id {id} after {previous}");
            lastId[device] = id;
        }

        using var database = SqliteDatabase.Open(new StorageOptions { DataDir = directory });
        using var connection = database.OpenConnection();
        var dedups = new HashSet<string>(StringComparer.Ordinal);
        using (var command = connection.CreateCommand())
        {
            // One row per block of 64 Message IDs (migration 0009), a bit per record.
            command.CommandText =
                "WITH RECURSIVE bit(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM bit WHERE n < 63) " +
                "SELECT peer, block * 64 + n FROM (SELECT peer, block, bits FROM dedup_peer UNION ALL SELECT peer, block, bits FROM dedup_block), bit " +
                "WHERE (bits >> n) & 1 = 1";
            using var reader = command.ExecuteReader();
            while (reader.Read()) dedups.Add($"{reader.GetString(0)} {reader.GetInt64(1).ToString(CultureInfo.InvariantCulture)}");
        }
        long left;
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT count(*) FROM outbox";
            left = Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
        }
        SqliteConnection.ClearAllPools();

        readyMs.Sort();
        return new CrashResult(seed, acked.Count, distinct.Count, delivered.Count - distinct.Count, lost, violations,
            acked.Count(a => !dedups.Contains(a)), left, integrityOk, readyMs.Count, Percentile(readyMs, 0.50), Percentile(readyMs, 0.99));
    }

    private static double Percentile(List<double> sorted, double p) => sorted.Count == 0 ? 0 : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

    public sealed record CrashResult(int Seed, int Acked, int Delivered, int Duplicates, List<string> Lost, List<string> OrderViolations,
        int MissingDedups, long LeftInOutbox, int IntegrityOk, int Restarts, double ReadyP50Ms, double ReadyP99Ms)
    {
        public string Describe(string what) => string.Create(CultureInfo.InvariantCulture,
            $"{what}: acked {Acked}, delivered {Delivered}, lost {Lost.Count}, duplicates {Duplicates}, order violations {OrderViolations.Count}, " +
            $"integrity ok {IntegrityOk}/{Restarts}, restart-to-ready p50 {ReadyP50Ms:F0} ms p99 {ReadyP99Ms:F0} ms (seed {Seed})");

        /// <summary>The verdict of both harnesses: integrity after every restart, nothing acknowledged lost, order and dedup kept.</summary>
        public void AssertNothingAcknowledgedLost()
        {
            Assert.Equal(Restarts, IntegrityOk);
            Assert.True(Lost.Count == 0, $"{Lost.Count} acknowledged messages never delivered, e.g. {Lost.FirstOrDefault()}");
            Assert.True(OrderViolations.Count == 0, $"per-device order broken: {OrderViolations.FirstOrDefault()}");
            Assert.Equal(0, MissingDedups);
            Assert.Equal(0, LeftInOutbox);
            Assert.True(Acked > Restarts, $"only {Acked} acknowledged: the load never ran");
        }
    }
}
