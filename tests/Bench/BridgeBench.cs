using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Gateway.Bridge;
using Gateway.Bridge.Devices;
using Gateway.Bridge.Forwarding;
using Gateway.Domain;
using Gateway.Mqtt.Client;
using Gateway.Storage;
using Gateway.Storage.Outbox;

namespace Gateway.Bench;

/// <summary>
/// Backlog drain into a local mosquitto (one connection, QoS 1, no subscriber): a pre-filled outbox of
/// N telemetry rows (D devices, interleaved) is forwarded by the real <see cref="Forwarder"/> at
/// in-flight windows 1, 16 and 100 and two batch sizes; each point starts from a copy of the same
/// database. Next to it, in the same run and against the same broker, mosquitto's own
/// single-connection QoS 1 rate: <c>mosquitto_pub -q 1 -M 100 --repeat N</c> with a message the size
/// of one packed row, and our MqttClient publishing the same single messages with 100 in flight
/// (performance.md §1.3 and G7). Ratios are PUBLISH/s and rows/s over mosquitto_pub's msg/s. Allocation
/// is the whole process's (<see cref="GC.GetTotalAllocatedBytes"/>) during the drain, per forwarded row.
/// </summary>
internal static class BridgeBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Contains("--help"))
        {
            Console.WriteLine("Bench bridge [--rows N=100000] [--devices D=100] [--windows 1,16,100] [--batches 1000,10000] [--packet BYTES=65536] [--dir DIR=$TMPDIR]");
            return 0;
        }
        int rows = int.Parse(Option(args, "--rows") ?? "100000", CultureInfo.InvariantCulture);
        int devices = int.Parse(Option(args, "--devices") ?? "100", CultureInfo.InvariantCulture);
        var windows = (Option(args, "--windows") ?? "1,16,100").Split(',').Select(int.Parse).ToArray();
        var batches = (Option(args, "--batches") ?? "1000,10000").Split(',').Select(int.Parse).ToArray();
        int packet = int.Parse(Option(args, "--packet") ?? "65536", CultureInfo.InvariantCulture);
        var root = Directory.CreateTempSubdirectory("bridge-bench-").FullName;
        if (Option(args, "--dir") is { } dir) root = Directory.CreateDirectory(Path.Combine(dir, $"bridge-bench-{Guid.NewGuid():N}")).FullName;

        using var broker = Drain.BenchBroker.Start(root);
        try
        {
            var template = Path.Combine(root, "template");
            var sample = await FillAsync(template, rows, devices);
            Console.WriteLine($"backlog drain into mosquitto 127.0.0.1:{broker.Port} (persistence off, no subscriber), {rows:N0} telemetry rows of {devices} devices, row payload {sample.Length} B: {sample}; packet limit {packet} B");
            Console.WriteLine();

            var pub = await MosquittoPubAsync(broker.Port, rows, sample);
            var (single, singleBytes) = await SingleMessagesAsync(broker.Port, rows, sample, 100);
            Console.WriteLine("| sender | in flight | batch rows | PUBLISH/s | rows/s | rows per PUBLISH | PUBLISH/s ÷ mosquitto_pub | rows/s ÷ mosquitto_pub | bytes allocated per row |");
            Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
            Console.WriteLine($"| mosquitto_pub -q 1 -M 100 --repeat {rows} (incl. connect) | 100 | – | {pub:N0} | {pub:N0} | 1 | 1.00 | 1.00 | – |");
            Console.WriteLine($"| MqttClient, single messages | 100 | – | {single:N0} | {single:N0} | 1 | {single / pub:0.00} | {single / pub:0.00} | {singleBytes:N0} |");
            foreach (var batch in batches)
            {
                foreach (var window in windows)
                {
                    var (publishes, seconds, bytes) = await DrainAsync(template, Path.Combine(root, $"run-{batch}-{window}"), broker.Port, window, batch, packet, rows);
                    double ps = publishes / seconds, rs = rows / seconds;
                    Console.WriteLine($"| Forwarder | {window} | {batch} | {ps:N0} | {rs:N0} | {(double)rows / publishes:0.0} | {ps / pub:0.00} | {rs / pub:0.00} | {bytes / rows:N0} |");
                }
            }
        }
        finally
        {
            try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        }
        return 0;
    }

    private static async Task<string> FillAsync(string directory, int rows, int devices)
    {
        using var database = SqliteDatabase.Open(Storage(directory));
        await using var outbox = new SqliteOutbox(database);
        string sample = "";
        // Enqueued from 64 writers so group commit fills the queue quickly; ids follow the interleaving.
        int next = -1;
        await Task.WhenAll(Enumerable.Range(0, 64).Select(_ => Task.Run(async () =>
        {
            int n;
            while ((n = Interlocked.Increment(ref next)) < rows)
            {
                var payload = UplinkPayloads.Telemetry([(1_700_000_000_000L + n, new JsonObject { ["temperature"] = 20.5 + n % 10, ["humidity"] = 40 + n % 20, ["seq"] = n })]);
                if (n == 0) sample = Encoding.UTF8.GetString(payload);
                var result = await outbox.EnqueueAsync(new OutboxMessage($"device-{n % devices:D3}", OutboxMessageKind.Telemetry, payload));
                if (result.Status != EnqueueStatus.Committed) throw new InvalidOperationException($"fill: {result.Status}");
            }
        })));
        return sample;
    }

    /// <summary>Also returns the bytes the whole process allocated during the drain (forwarder, storage, MQTT client).</summary>
    private static async Task<(long Publishes, double Seconds, long Allocated)> DrainAsync(string template, string directory, int port, int window, int batch, int packet, int rows)
    {
        Directory.CreateDirectory(directory);
        foreach (var file in Directory.GetFiles(template)) File.Copy(file, Path.Combine(directory, Path.GetFileName(file)));
        using var database = SqliteDatabase.Open(Storage(directory));
        await using var outbox = new SqliteOutbox(database);
        var options = new BridgeOptions { BatchSize = batch, MaxInFlight = window, MaxPacketBytes = packet, IdlePollMilliseconds = 5 };
        var status = new BridgeStatus();
        await using var client = new MqttClient(new MqttClientOptions { Host = "127.0.0.1", Port = port, ClientId = $"bench-{window}-{batch}", MaxInflight = window });
        var forwarder = new Forwarder(client, outbox, new DeviceTracker(null, options, TimeProvider.System), null, options, status);
        client.Start();
        await client.WaitUntilConnectedAsync().WaitAsync(TimeSpan.FromSeconds(10));
        using var stop = new CancellationTokenSource();
        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var clock = Stopwatch.StartNew();
        var loop = Task.Run(() => forwarder.RunAsync(stop.Token));
        while (status.Snapshot().RowsForwarded < rows)
        {
            if (clock.Elapsed > TimeSpan.FromMinutes(5)) throw new TimeoutException($"drain stuck at {status.Snapshot().RowsForwarded} rows");
            if (loop.IsCompleted) await loop;
            await Task.Delay(2);
        }
        var seconds = clock.Elapsed.TotalSeconds;
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        stop.Cancel();
        await loop;
        if ((await outbox.GetStatsAsync()).Depth != 0) throw new InvalidOperationException("rows left after the drain");
        return (status.Snapshot().Publishes, seconds, allocated);
    }

    private static async Task<double> MosquittoPubAsync(int port, int count, string message)
    {
        var clock = Stopwatch.StartNew();
        var psi = new ProcessStartInfo("mosquitto_pub", ["-h", "127.0.0.1", "-p", port.ToString(), "-q", "1", "-M", "100", "--repeat", count.ToString(), "-t", GatewayTopics.Telemetry, "-m", message])
        { RedirectStandardError = true, UseShellExecute = false };
        using var process = Process.Start(psi) ?? throw new InvalidOperationException("mosquitto_pub did not start");
        await process.WaitForExitAsync();
        if (process.ExitCode != 0) throw new InvalidOperationException($"mosquitto_pub exited {process.ExitCode}: {await process.StandardError.ReadToEndAsync()}");
        return count / clock.Elapsed.TotalSeconds;
    }

    private static async Task<(double PerSecond, long BytesPerMessage)> SingleMessagesAsync(int port, int count, string message, int window)
    {
        await using var client = new MqttClient(new MqttClientOptions { Host = "127.0.0.1", Port = port, ClientId = "bench-single", MaxInflight = window });
        client.Start();
        await client.WaitUntilConnectedAsync().WaitAsync(TimeSpan.FromSeconds(10));
        var payload = Encoding.UTF8.GetBytes(message);
        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var clock = Stopwatch.StartNew();
        var pending = new Task<MqttPublishResult>[count];
        for (int i = 0; i < count; i++) pending[i] = client.PublishAsync(new MqttMessage { Topic = GatewayTopics.Telemetry, Payload = payload }).AsTask();
        var results = await Task.WhenAll(pending);
        var seconds = clock.Elapsed.TotalSeconds;
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        if (results.Any(r => !r.IsSuccess)) throw new InvalidOperationException("a single-message publish failed");
        return (count / seconds, allocated / count);
    }

    private static StorageOptions Storage(string directory) => new()
    {
        DataDir = directory, MinFreeBytes = 0, MaxQueueBytes = long.MaxValue / 4, IntegrityCheckOnOpen = IntegrityCheck.None,
    };

    private static string? Option(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
