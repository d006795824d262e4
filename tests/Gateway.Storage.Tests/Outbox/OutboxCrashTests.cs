using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Gateway.TestKit;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace Gateway.Storage.Tests.Outbox;

/// <summary>
/// Process-crash durability (reference/reliability.md R1; issue 18 "crashes, long form"). A child enqueues with 16
/// concurrent writers and prints each acknowledged row, while its delivery loop leases rows, prints them as delivered
/// and acks them, as the forwarder does; it is SIGKILLed at a random instant under that steady load and restarted on
/// the same database, <see cref="Kills"/> times (50 in CI; <c>GATEWAY_TESTS_CRASH_KILLS=1000</c> for the long form,
/// README "Reliability"). After every kill integrity_check must pass; at the end a last run delivers what is left, and
/// every acknowledged message must have been delivered (0 lost), each device's rows first delivered in commit order,
/// with every acknowledged message's dedup record kept. Duplicates (delivered, then killed before the ack) are counted.
/// Negative control: the same harness against a child that acknowledges before committing must report losses.
/// </summary>
public sealed class OutboxCrashTests(ITestOutputHelper output) : IDisposable
{
    private static readonly int Kills = int.TryParse(Environment.GetEnvironmentVariable("GATEWAY_TESTS_CRASH_KILLS"), out var kills) && kills > 0 ? kills : 50;
    private readonly TempDirectory _directory = new();

    [Fact]
    public void Sigkill_AtRandomInstantsUnderSteadyLoad_LosesNoAcknowledgedMessage()
    {
        var result = Run(Kills, "steady");
        Figures.Report(result.Describe($"crash (SIGKILL) x{Kills}"));
        output.WriteLine(result.Describe($"seed {result.Seed}"));

        Assert.Equal(Kills, result.IntegrityOk);
        Assert.True(result.Lost.Count == 0, $"{result.Lost.Count} acknowledged messages never delivered, e.g. {result.Lost.FirstOrDefault()}");
        Assert.True(result.OrderViolations.Count == 0, $"per-device order broken: {result.OrderViolations.FirstOrDefault()}");
        Assert.Equal(0, result.MissingDedups);
        Assert.Equal(0, result.LeftInOutbox);
        Assert.True(result.Acked > Kills, $"only {result.Acked} acknowledged: the load never ran");
    }

    [Fact]
    public void NegativeControl_AChildThatAcknowledgesBeforeCommitting_ShowsLosses()
    {
        var result = Run(10, "ack-first");
        output.WriteLine(result.Describe("negative control (ack before commit) x10"));
        Figures.Report(result.Describe("crash negative control (ack before commit) x10"));

        Assert.NotEmpty(result.Lost);
    }

    private CrashResult Run(int kills, string mode)
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
                ArgumentList = { child, _directory.Path, run, "16", mode },
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
        using var database = SqliteDatabase.Open(new StorageOptions { DataDir = _directory.Path, IntegrityCheckOnOpen = IntegrityCheck.Full });
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

        using var database = SqliteDatabase.Open(new StorageOptions { DataDir = _directory.Path });
        using var connection = database.OpenConnection();
        var dedups = new HashSet<string>(StringComparer.Ordinal);
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT peer, mid FROM dedup";
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

    private sealed record CrashResult(int Seed, int Acked, int Delivered, int Duplicates, List<string> Lost, List<string> OrderViolations,
        int MissingDedups, long LeftInOutbox, int IntegrityOk, int Restarts, double ReadyP50Ms, double ReadyP99Ms)
    {
        public string Describe(string what) => string.Create(CultureInfo.InvariantCulture,
            $"{what}: acked {Acked}, delivered {Delivered}, lost {Lost.Count}, duplicates {Duplicates}, order violations {OrderViolations.Count}, " +
            $"integrity ok {IntegrityOk}/{Restarts}, restart-to-ready p50 {ReadyP50Ms:F0} ms p99 {ReadyP99Ms:F0} ms (seed {Seed})");
    }

    public void Dispose() => _directory.Dispose();
}
