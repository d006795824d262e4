using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace Gateway.Storage.Tests.Outbox;

/// <summary>
/// Process-crash durability (reference/reliability.md R1 in miniature): a child enqueues with 16
/// concurrent writers and prints each acknowledged id; it is SIGKILLed at a random moment, 20
/// times on the same database. After every kill the database must pass integrity_check and hold
/// every acknowledged message exactly once, with its dedup record.
/// </summary>
public sealed class OutboxCrashTests(ITestOutputHelper output) : IDisposable
{
    private const int Kills = 20;
    private readonly TempDirectory _directory = new();

    [Fact]
    public void Sigkill_AtRandomMoments_LosesNoAcknowledgedMessageAndNeverDuplicates()
    {
        var seed = Environment.TickCount;
        output.WriteLine($"seed {seed}");
        var random = new Random(seed);
        var child = Path.Combine(AppContext.BaseDirectory, "Gateway.Storage.CrashChild.dll");
        var acked = new Dictionary<string, long>(); // "run seq" -> id

        for (var kill = 0; kill < Kills; kill++)
        {
            var run = $"run{kill}";
            var lines = new ConcurrentQueue<string>();
            var firstAck = new ManualResetEventSlim();
            using var process = new Process
            {
                StartInfo = new ProcessStartInfo("dotnet")
                {
                    ArgumentList = { child, _directory.Path, run, "16" },
                    RedirectStandardOutput = true,
                    RedirectStandardError = true,
                    UseShellExecute = false,
                },
            };
            process.OutputDataReceived += (_, e) =>
            {
                if (e.Data is { } line)
                {
                    lines.Enqueue(line);
                    firstAck.Set();
                }
            };
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            Assert.True(firstAck.Wait(TimeSpan.FromSeconds(30)), "the child never acknowledged anything");

            Thread.Sleep(random.Next(0, 120));
            process.Kill(); // SIGKILL on Unix
            process.WaitForExit();

            foreach (var line in lines)
            {
                var parts = line.Split(' ');
                Assert.True(parts is ["ack", _, _, _, "."], $"malformed child line '{line}'");
                Assert.True(acked.TryAdd($"{parts[2]} {parts[3]}", long.Parse(parts[1])), $"acknowledged twice: {line}");
            }
            Verify(acked, kill);
        }
        output.WriteLine($"{acked.Count} acknowledged messages over {Kills} kills, all present once");
        Assert.True(acked.Count > Kills);
    }

    private void Verify(Dictionary<string, long> acked, int kill)
    {
        using var database = SqliteDatabase.Open(new StorageOptions { DataDir = _directory.Path, IntegrityCheckOnOpen = IntegrityCheck.Full });
        Assert.Equal(["ok"], database.CheckIntegrity(full: true));
        using var connection = database.OpenConnection();

        var stored = new Dictionary<string, List<long>>();
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT id, payload FROM outbox";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                var key = Encoding.ASCII.GetString((byte[])reader.GetValue(1));
                if (!stored.TryGetValue(key, out var ids))
                {
                    stored[key] = ids = [];
                }
                ids.Add(reader.GetInt64(0));
            }
        }
        Assert.All(stored, s => Assert.True(s.Value.Count == 1, $"'{s.Key}' stored {s.Value.Count} times"));
        var missing = acked.Where(a => !stored.TryGetValue(a.Key, out var ids) || ids[0] != a.Value).Select(a => a.Key).ToList();
        Assert.True(missing.Count == 0, $"after kill {kill}: {missing.Count} acknowledged messages missing, e.g. {missing.FirstOrDefault()}");

        var dedups = CountDedups(connection, acked.Keys);
        Assert.Equal(acked.Count, dedups);
    }

    private static int CountDedups(SqliteConnection connection, IEnumerable<string> keys)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM dedup WHERE peer = $p AND mid = $m";
        var peer = command.Parameters.Add("$p", SqliteType.Text);
        var mid = command.Parameters.Add("$m", SqliteType.Integer);
        var found = 0;
        foreach (var key in keys)
        {
            var parts = key.Split(' ');
            peer.Value = parts[0];
            mid.Value = int.Parse(parts[1]);
            found += Convert.ToInt32(command.ExecuteScalar());
        }
        return found;
    }

    public void Dispose() => _directory.Dispose();
}
