using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text.Json.Nodes;
using Gateway.Devices.Exosite;
using Gateway.Devices.Exosite.Cbor;

namespace Gateway.Bench;

/// <summary>
/// The Exosite CBOR write path, CPU and allocation only (no CoAP, no storage): what the resources do
/// with CBOR per request. "multi": decode CoAPExample's multiple write <c>{"w1":"26.1","w2":"on"}</c>,
/// turn the values into dataport text, encode the answer map. "rpc": decode the doc's read/write/record
/// envelope (peers.md §A.3), encode its answer. With <c>--before</c> the same work runs through the
/// old codec (built by ExositeCbor/build-before from git) in the same process, rounds interleaved
/// (before, after, after, before, …) so both see the same machine; medians are printed.
/// </summary>
internal static class ExositeCborBench
{
    private const string Help = """
        exosite-cbor [--before DLL] [--rounds R] [--seconds S]
          --before DLL   Gateway.Bench.Before.dll from tests/Bench/ExositeCbor/build-before (else only "after" runs)
          --rounds R     interleaved rounds; medians are printed (default 5)
          --seconds S    measured time per workload, implementation and round (default 2)
        """;

    private static readonly byte[] MultiBody = Convert.FromHexString("a26277316432362e31627732626f6e");

    private static readonly byte[] RpcBody = CborJson.Encode(JsonNode.Parse("""
        {"auth":{"cik":"0123456789abcdef0123456789abcdef01234567"},"calls":[
          {"id":1,"procedure":"read","arguments":[{"alias":"r1"},{"limit":1}]},
          {"id":2,"procedure":"write","arguments":[{"alias":"w1"},65.4]},
          {"id":3,"procedure":"record","arguments":[{"alias":"w2"},[[1410360812,65.4],[1410360813,66.3],[1410360815,67.9]],{}]}]}
        """));

    public static int Run(string[] args)
    {
        string? before = null;
        int rounds = 5;
        double seconds = 2;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--before": before = args[++i]; break;
                case "--rounds": rounds = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--seconds": seconds = double.Parse(args[++i], CultureInfo.InvariantCulture); break;
                default: Console.Error.WriteLine(Help); return 2;
            }
        }

        var after = new Codec("after", (payload, depth) => CborJson.TryDecode(payload, depth, out var value, out _) ? value : null, CborJson.Encode);
        var codecs = new List<Codec> { after };
        if (before is not null) codecs.Insert(0, LoadBefore(before));

        var workloads = new (string Name, Func<Codec, int> Op)[] { ("multi", Multi), ("rpc", Rpc) };
        var results = new Dictionary<(string, string), List<(double OpsPerSecond, double BytesPerOp)>>();
        foreach (var codec in codecs)
        {
            foreach (var (_, op) in workloads) Measure(codec, op, 0.5); // warm-up: JIT tiers
        }

        for (int round = 0; round < rounds; round++)
        {
            // Alternate the order every round so neither side always runs first.
            IEnumerable<Codec> order = round % 2 == 0 ? codecs : Enumerable.Reverse(codecs);
            foreach (var codec in order)
            {
                foreach (var (name, op) in workloads)
                {
                    var key = (name, codec.Name);
                    if (!results.TryGetValue(key, out var list)) results[key] = list = [];
                    list.Add(Measure(codec, op, seconds));
                }
            }
        }

        Console.WriteLine($"{"workload",-8} {"codec",-7} {"ops/s (median)",15} {"B/op",8}   rounds: ops/s");
        foreach (var ((name, codec), list) in results)
        {
            double ops = Median(list.Select(r => r.OpsPerSecond));
            double bytes = Median(list.Select(r => r.BytesPerOp));
            Console.WriteLine($"{name,-8} {codec,-7} {ops,15:N0} {bytes,8:N0}   {string.Join(" ", list.Select(r => r.OpsPerSecond.ToString("N0", CultureInfo.InvariantCulture)))}");
        }

        return 0;
    }

    private static int Multi(Codec codec)
    {
        if (codec.Decode(MultiBody, 8) is not JsonObject map) throw new InvalidOperationException("multi body not decoded");
        int length = 0;
        foreach (var (_, value) in map) length += ExositeValues.ToText(value).Length;
        var answer = new JsonObject { ["r1"] = "99", ["w2"] = "on" };
        return length + codec.Encode(answer).Length;
    }

    private static int Rpc(Codec codec)
    {
        if (codec.Decode(RpcBody, 16) is not JsonObject envelope) throw new InvalidOperationException("rpc body not decoded");
        var answer = new JsonArray
        {
            new JsonObject { ["id"] = envelope["calls"]![0]!["id"]!.DeepClone(), ["status"] = "ok", ["result"] = new JsonArray(new JsonArray(1700000000L, 64.2)) },
            new JsonObject { ["id"] = envelope["calls"]![1]!["id"]!.DeepClone(), ["status"] = "ok" },
            new JsonObject { ["id"] = envelope["calls"]![2]!["id"]!.DeepClone(), ["status"] = "ok" },
        };
        return codec.Encode(answer).Length;
    }

    private static (double OpsPerSecond, double BytesPerOp) Measure(Codec codec, Func<Codec, int> op, double seconds)
    {
        long ops = 0;
        int sink = 0;
        long allocated = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        long until = (long)(seconds * Stopwatch.Frequency);
        while (clock.ElapsedTicks < until)
        {
            for (int i = 0; i < 256; i++) sink += op(codec);
            ops += 256;
        }

        clock.Stop();
        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
        GC.KeepAlive(sink);
        return (ops / clock.Elapsed.TotalSeconds, allocated / (double)ops);
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static Codec LoadBefore(string path)
    {
        var type = Assembly.LoadFrom(Path.GetFullPath(path)).GetType("Gateway.Bench.Before.MainCborPath", throwOnError: true)!;
        var decode = type.GetMethod("Decode")!.CreateDelegate<Func<ReadOnlyMemory<byte>, int, JsonNode?>>();
        var encode = type.GetMethod("Encode")!.CreateDelegate<Func<JsonNode?, byte[]>>();
        return new Codec("before", decode, encode);
    }

    private sealed record Codec(string Name, Func<ReadOnlyMemory<byte>, int, JsonNode?> Decode, Func<JsonNode?, byte[]> Encode);
}
