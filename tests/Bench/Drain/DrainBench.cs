using System.Diagnostics;
using System.Text;
using Gateway.Bench.Coap;

namespace Gateway.Bench.Drain;

/// <summary>
/// Issue #21's drain target: a pre-filled outbox of <c>--rows</c> telemetry rows drained by the real
/// gateway process into a fresh mosquitto, against raw QoS 1 publishers of the same rows on a fresh
/// mosquitto of the same version in the same run: <c>mosquitto_pub -l</c> and MQTTnet alone, each
/// with one row per message and with messages packed like the gateway's. Every sender is timed by
/// the same subscriber, from the first row's arrival to the last's, so the compared unit is rows
/// delivered per second for the same row payloads (PUBLISH/s beside it). During each gateway drain
/// live telemetry is POSTed at a fixed rate; its latency is reported next to an idle baseline taken
/// in the same process right after the drain.
/// </summary>
internal static class DrainBench
{
    private sealed record Variant(string Label, GatewayCommand Command, string[] Args);

    private sealed record Measurement(string Sender, int Round, long Rows, long Messages, double Seconds)
    {
        public double RowsPerSecond => Rows / Seconds;
        public double PublishesPerSecond => Messages / Seconds;
        public double? CpuMicrosPerRow { get; init; }
        public bool Floor { get; init; }
        /// <summary>Not a raw publisher: left out of "best raw".</summary>
        public bool Prototype { get; init; }
        public (long P50, long P99, long Sent, long Created, long Lost, long Other)? Drain { get; init; }
        public (long P50, long P99, long Sent, long Created, long Lost, long Other)? Idle { get; init; }
    }

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Contains("--help"))
        {
            Console.WriteLine(DrainOptions.Usage);
            return 0;
        }
        var options = DrainOptions.Parse(args);
        var commands = options.GatewayBinaries.Select(b => GatewayCommand.Locate(b, null))
            .Concat(options.GatewayDlls.Select(d => GatewayCommand.Locate(null, d))).ToList();
        if (commands.Count == 0) commands.Add(GatewayCommand.Locate(null, null));
        var argSets = options.GatewayArgs.Count == 0 ? [""] : options.GatewayArgs;
        var variants = (from c in commands.Select((c, i) => (c, i)) from a in argSets
                        select new Variant($"gateway{(commands.Count > 1 ? $" #{c.i + 1}" : "")}{(a.Length > 0 ? $" {a}" : "")}", c.c,
                            a.Split(' ', StringSplitOptions.RemoveEmptyEntries))).ToList();

        var root = Directory.CreateDirectory(Path.Combine(options.Directory ?? Path.GetTempPath(), $"drain-bench-{Guid.NewGuid():N}")).FullName;
        try
        {
            var backlog = new Backlog(options.Rows, options.Devices);
            var senders = Senders(options, variants);
            Console.WriteLine($"drain bench: {options.Rows:N0} telemetry rows of {options.Devices} devices, row {backlog.Row(0).Length} B ({backlog.Row(0)}); {BenchBroker.Version()}, a fresh broker per measurement (persistence off, max_inflight_messages 0, max_queued_messages 0{(options.BrokerNoDelay ? ", set_tcp_nodelay true" : "")}), one QoS 1 subscriber counting rows");
            Console.WriteLine($"raw window {options.Window}, packed raw messages up to {options.Packet} B; live POSTs {options.LiveRate}/s; machine load {Load()}");
            foreach (var variant in variants) Console.WriteLine($"{variant.Label}: {variant.Command.Description}");

            var template = Path.Combine(root, "template");
            var clock = Stopwatch.StartNew();
            if (options.StoreFloor || (variants.Count > 0 && options.Senders.Contains("gateway"))) backlog.CreateDataDir(commands[0], template);
            var files = PrepareRawMessages(options, backlog, root);
            Console.WriteLine($"prepared in {clock.Elapsed.TotalSeconds:0.0} s");

            var results = new List<Measurement>();
            for (int round = 0; round < options.Rounds; round++)
            {
                // Rotated each round so no sender always runs first (or last) on a machine whose load drifts.
                var order = senders.Skip(round % senders.Count).Concat(senders.Take(round % senders.Count)).ToList();
                foreach (var (name, run) in order)
                {
                    using var broker = BenchBroker.Start(root, options.BrokerNoDelay);
                    await using var counter = await RowCounter.StartAsync(broker.Port, options.Rows, options.Timeline);
                    var m = await run(broker, counter, round, files, template);
                    results.Add(m);
                    Console.WriteLine($"  round {round + 1} {name}: {m.RowsPerSecond:N0} rows/s, {m.PublishesPerSecond:N0} PUBLISH/s over {m.Seconds:0.0} s{Live(m)}; load {Load()}");
                    if (counter.Timeline is { } timeline) Console.WriteLine("    by tenths of the rows, ms after the first: " + string.Join(" ", timeline.Select(t => (t.Ticks * 1000 / Stopwatch.Frequency).ToString("N0", System.Globalization.CultureInfo.InvariantCulture))));
                }
                if (options.StoreFloor) results.Add(MeasureStoreFloor(template, round, options));
            }
            PrintTables(results, [.. senders.Select(s => s.Name), .. options.StoreFloor ? [StoreFloorName] : Array.Empty<string>()], options);
        }
        finally
        {
            try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        }
        return 0;
    }

    private sealed record RawFiles(string SingleLines, string PackedLines, string PackedDatabase);

    private static RawFiles PrepareRawMessages(DrainOptions options, Backlog backlog, string root)
    {
        // The gateway's payload budget: packet limit less fixed header, topic and properties (MessagePacker.Budget).
        int budget = options.Packet - 32 - RowCounter.Topic.Length;
        string singleLines = Path.Combine(root, "single.lines"), packedLines = Path.Combine(root, "packed.lines"), packedDatabase = Path.Combine(root, "packed.db");
        if (options.Senders.Contains("pub") || options.Senders.Contains("mqttnet"))
            WriteLines(singleLines, backlog.SingleMessages().Select(Encoding.UTF8.GetBytes));
        if (options.Senders.Contains("pub-packed") || options.Senders.Contains("mqttnet-packed") || options.Senders.Contains("packed-store"))
            WriteLines(packedLines, backlog.PackedMessages(budget).Select(Encoding.UTF8.GetBytes));
        if (options.Senders.Contains("packed-store")) PackedStorePublisher.Fill(packedLines, packedDatabase);
        return new RawFiles(singleLines, packedLines, packedDatabase);
    }

    private static void WriteLines(string path, IEnumerable<byte[]> messages)
    {
        using var file = new BufferedStream(File.Create(path), 1 << 20);
        foreach (var message in messages)
        {
            file.Write(message);
            file.WriteByte((byte)'\n');
        }
    }

    private delegate Task<Measurement> Sender(BenchBroker broker, RowCounter counter, int round, RawFiles files, string template);

    private static List<(string Name, Sender Run)> Senders(DrainOptions options, List<Variant> variants)
    {
        var list = new List<(string, Sender)>();
        void Add(string label, Func<BenchBroker, RowCounter, RawFiles, Task> publish, bool prototype = false) =>
            list.Add((label, async (b, c, r, f, _) => await Raw(label, c, r, options, publish(b, c, f)) with { Prototype = prototype }));
        foreach (var name in options.Senders)
        {
            switch (name)
            {
                case "pub": Add("mosquitto_pub -l, one row per message", (b, c, f) => RawPublishers.MosquittoPubAsync(b.Port, f.SingleLines, options.Window, c.Done)); break;
                case "pub-packed": Add("mosquitto_pub -l, packed messages", (b, c, f) => RawPublishers.MosquittoPubAsync(b.Port, f.PackedLines, PackedWindow(options), c.Done)); break;
                case "mqttnet": Add("MQTTnet, one row per message", (b, c, f) => RawPublishers.MqttNetProcessAsync(b.Port, f.SingleLines, options.Window, c.Done)); break;
                case "mqttnet-packed": Add("MQTTnet, packed messages", (b, c, f) => RawPublishers.MqttNetProcessAsync(b.Port, f.PackedLines, PackedWindow(options), c.Done)); break;
                case "packed-store": Add($"packed store (prototype): a SQLite row per packed message, the gateway's MQTT client, {options.StoreDepth} turn(s) in flight", (b, c, f) => PackedStorePublisher.ProcessAsync(b.Port, f.PackedDatabase, PackedWindow(options), options.StoreDepth, c.Done), prototype: true); break;
                case "gateway":
                    foreach (var variant in variants) list.Add((variant.Label, (b, c, r, _, t) => GatewayAsync(variant, b, c, r, t, options)));
                    break;
            }
        }
        return list;
    }

    /// <summary>
    /// Packed messages: at most 4 MiB awaiting PUBACK (64 of 64 KiB). With 1,000 of them in flight
    /// MQTTnet's connection was closed under it in one run.
    /// </summary>
    private static int PackedWindow(DrainOptions options) => Math.Clamp((4 << 20) / options.Packet, 1, options.Window);

    private static TimeSpan Limit(DrainOptions options) => TimeSpan.FromSeconds(Math.Max(600, options.Rows / 1000.0));

    private static async Task<Measurement> Raw(string name, RowCounter counter, int round, DrainOptions options, Task publishing)
    {
        await publishing.WaitAsync(Limit(options));
        try { await counter.Done.WaitAsync(TimeSpan.FromSeconds(60)); }
        catch (TimeoutException) { throw new TimeoutException($"{name}: the subscriber counted {counter.Rows} of {options.Rows} rows"); }
        return new Measurement(name, round, counter.Rows, counter.Messages, counter.Seconds);
    }

    private static async Task<Measurement> GatewayAsync(Variant variant, BenchBroker broker, RowCounter counter, int round, string template, DrainOptions options)
    {
        var dataDir = Backlog.CopyDataDir(template, "run");
        try
        {
            await using var gateway = await GatewayRun.StartAsync(variant.Command, dataDir, broker.Port, variant.Args);
            var limit = Limit(options);
            using var live = new LivePoster(gateway.Port, options.LiveRate, 2, (int)limit.TotalSeconds + options.IdleSeconds + 60) { Phase = -1 };
            live.Start();
            var waited = Stopwatch.StartNew();
            while (counter.FirstTimestamp == 0)
            {
                if (waited.Elapsed > TimeSpan.FromSeconds(60)) throw new TimeoutException($"no row arrived within 60 s:\n{gateway.Output}");
                await Task.Delay(1);
            }
            live.Phase = 0;
            var cpuBefore = ProcessCpu.Read(gateway.Pid);
            try { await counter.Done.WaitAsync(limit); }
            catch (TimeoutException) { throw new TimeoutException($"drain stuck at {counter.Rows} rows:\n{gateway.Output}"); }
            var cpuAfter = ProcessCpu.Read(gateway.Pid);
            live.Phase = 1;
            var rows = counter.Rows;
            var messages = counter.Messages;
            var seconds = counter.Seconds;
            await Task.Delay(TimeSpan.FromSeconds(options.IdleSeconds));
            live.Stop(TimeSpan.FromSeconds(5));
            return new Measurement(variant.Label, round, rows, messages, seconds)
            {
                CpuMicrosPerRow = ProcessCpu.Between(cpuBefore, cpuAfter).Nanos / 1000 / rows,
                Drain = live.Result(0),
                Idle = live.Result(1),
            };
        }
        finally
        {
            try { Directory.Delete(dataDir, recursive: true); } catch (IOException) { }
        }
    }

    private const string StoreFloorName = "store floor: SQLite reads and deletes the rows, no MQTT";

    private static Measurement MeasureStoreFloor(string template, int round, DrainOptions options)
    {
        var dataDir = Backlog.CopyDataDir(template, "floor");
        try
        {
            var floor = StoreFloor.Measure(dataDir, options.FloorBatch);
            var m = new Measurement(StoreFloorName, round, floor.Rows, 0, floor.Seconds) { Floor = true };
            Console.WriteLine($"  round {round + 1} store floor: {m.RowsPerSecond:N0} rows/s over {m.Seconds:0.00} s in {options.FloorBatch}-row turns (reading {floor.ReadSeconds:0.00} s, deleting and committing {floor.DeleteSeconds:0.00} s); load {Load()}");
            return m;
        }
        finally
        {
            try { Directory.Delete(dataDir, recursive: true); } catch (IOException) { }
        }
    }

    private static string Live(Measurement m) => m.Drain is { } d && m.Idle is { } i
        ? $"; gateway CPU {m.CpuMicrosPerRow:0.0} µs/row; live POST p50/p99 {d.P50:N0}/{d.P99:N0} µs during the drain ({d.Sent} sent, {d.Lost} lost), {i.P50:N0}/{i.P99:N0} µs idle ({i.Sent} sent, {i.Lost} lost)"
        : "";

    private static void PrintTables(List<Measurement> results, List<string> order, DrainOptions options)
    {
        Console.WriteLine();
        Console.WriteLine($"medians of {options.Rounds} round(s); rows/s = backlog rows delivered to the subscriber per second, first row to last");
        var medians = order.Distinct().Select(name =>
        {
            var ms = results.Where(r => r.Sender == name).ToList();
            return (Name: name, Rows: Median(ms.Select(m => m.RowsPerSecond)), Publishes: Median(ms.Select(m => m.PublishesPerSecond)),
                PerPublish: ms.Sum(m => (double)m.Rows) / ms.Sum(m => (double)m.Messages), Measurements: ms);
        }).ToList();
        var raw = medians.Where(m => !m.Measurements.Any(x => x.Drain is not null || x.Floor || x.Prototype)).ToList();
        var bestRows = raw.Count > 0 ? raw.Max(m => m.Rows) : double.NaN;
        var bestPublishes = raw.Count > 0 ? raw.Max(m => m.Publishes) : double.NaN;
        Console.WriteLine("| sender | rows/s | PUBLISH/s | rows per PUBLISH | rows/s ÷ best raw | PUBLISH/s ÷ best raw | gateway CPU µs/row |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        foreach (var m in medians)
        {
            var cpu = m.Measurements.Where(x => x.CpuMicrosPerRow is not null).Select(x => x.CpuMicrosPerRow!.Value).ToList();
            bool floor = m.Measurements.Any(x => x.Floor);
            string publishes = floor ? "– | – " : $"{m.Publishes:N0} | {m.PerPublish:0.0} ";
            Console.WriteLine($"| {m.Name} | {m.Rows:N0} | {publishes}| {m.Rows / bestRows:0.00}× | {(floor ? "–" : $"{m.Publishes / bestPublishes:0.00}×")} | {(cpu.Count > 0 ? Median(cpu).ToString("0.0") : "–")} |");
        }
        var gateways = results.Where(r => r.Drain is not null).ToList();
        if (gateways.Count == 0) return;
        Console.WriteLine();
        Console.WriteLine($"live telemetry POSTs ({options.LiveRate}/s, CON, 2.01 after the commit), medians over rounds");
        Console.WriteLine("| gateway | during the drain p50 / p99 µs | idle p50 / p99 µs | sent during / idle | lost during / idle | not 2.01 |");
        Console.WriteLine("|---|---|---|---|---|---|");
        foreach (var group in gateways.GroupBy(g => g.Sender))
        {
            var d = group.Select(g => g.Drain!.Value).ToList();
            var i = group.Select(g => g.Idle!.Value).ToList();
            Console.WriteLine($"| {group.Key} | {Median(d.Select(x => (double)x.P50)):N0} / {Median(d.Select(x => (double)x.P99)):N0} | {Median(i.Select(x => (double)x.P50)):N0} / {Median(i.Select(x => (double)x.P99)):N0} | {d.Sum(x => x.Sent)} / {i.Sum(x => x.Sent)} | {d.Sum(x => x.Lost)} / {i.Sum(x => x.Lost)} | {d.Sum(x => x.Other) + i.Sum(x => x.Other)} |");
        }
    }

    private static string Load() => File.ReadAllText("/proc/loadavg").Split(' ')[0];

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        if (sorted.Count == 0) return double.NaN;
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
