using System.Globalization;

namespace Gateway.Bench.Coap;

/// <summary>Prints per-point rows as they finish and the final table of medians with the ratios.</summary>
internal static class ResultTable
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static string RawHeader =>
        "round  N         server        resp/s    p50 µs  p99 µs  srv CPU µs/resp  gen CPU µs/resp  retrans  failed  stale  non-2.xx  sock-err  busy-before";

    public static string Raw(LoadResult r) => string.Create(Invariant,
        $"{r.Round,5}  {r.Point,-8}  {r.Server,-12}  {r.ResponsesPerSecond,8:N0}  {r.P50Micros,6}  {r.P99Micros,6}  {r.ServerCpuMicrosPerResponse,10:F1} {r.CpuSource,-5}  {r.GeneratorCpuMicrosPerResponse,15:F1}  {r.Retransmissions,7}  {r.Failures,6}  {r.Stale,5}  {r.NonSuccess,8}  {r.SocketErrors,8}  {(double.IsNaN(r.BusyBeforePercent) ? "-" : r.BusyBeforePercent.ToString("F0", Invariant) + " %"),11}");

    public static void Print(TextWriter output, IReadOnlyList<LoadResult> results, IReadOnlyList<LoadPoint> points, int rounds, bool durableWrites)
    {
        output.WriteLine();
        output.WriteLine(string.Create(Invariant, $"Medians of {rounds} round(s); retransmissions and failures summed over the rounds."));
        output.WriteLine("N         server        resp/s    p50 µs  p99 µs  server CPU µs/resp  retransmissions  failed");
        foreach (var point in points)
        {
            foreach (var server in results.Select(r => r.Server).Distinct())
            {
                var rows = results.Where(r => r.Point == point && r.Server == server).ToList();
                if (rows.Count == 0) continue;
                output.WriteLine(string.Create(Invariant,
                    $"{point,-8}  {server,-12}  {Median(rows, r => r.ResponsesPerSecond),8:N0}  {Median(rows, r => r.P50Micros),6:F0}  {Median(rows, r => r.P99Micros),6:F0}  {Median(rows, r => r.ServerCpuMicrosPerResponse),18:F1}  {rows.Sum(r => r.Retransmissions),15}  {rows.Sum(r => r.Failures),6}"));
            }
        }

        var servers = results.Select(r => r.Server).Distinct().ToList();
        if (servers.Contains("gateway"))
        {
            foreach (var peer in servers.Where(s => s is not "gateway" and not "floor"))
            {
                PrintRatios(output, results, points, "gateway", peer, GatewayRatioTitle(peer, durableWrites));
            }
        }
        if (servers.Contains("floor"))
        {
            if (servers.Contains("libcoap"))
                PrintRatios(output, results, points, "floor", "libcoap", "floor / fresh libcoap (a stateless C server answering at once: what no server can beat here)");
            if (servers.Contains("gateway"))
                PrintRatios(output, results, points, "gateway", "floor", "gateway / floor");
        }
    }

    private static string GatewayRatioTitle(string peer, bool durableWrites) => (peer, durableWrites) switch
    {
        ("libcoap", true) => "gateway durable POST / fresh libcoap PUT (issue 21 targets: throughput >= 0.75x at N = 256, >= 0.4x at N = 16)",
        ("libcoap", false) => "gateway / fresh libcoap (issue 21 GET targets: throughput >= 2.0x at N = 16 and 256, >= 1.5x at 1 and 1x64; p99 <= 1.0x; CPU/resp <= 0.3x)",
        ("baseline", _) => "gateway / baseline (A/B: --gateway-arg against --baseline-dll/--baseline-arg)",
        _ => $"gateway / {peer} (libcoap holding the sessions of the run before: the figure earlier benchmarks compared against)",
    };

    private static void PrintRatios(TextWriter output, IReadOnlyList<LoadResult> results, IReadOnlyList<LoadPoint> points, string server, string peer, string title)
    {
        output.WriteLine();
        output.WriteLine(title);
        output.WriteLine("N         throughput  CPU/resp  p50     p99");
        foreach (var point in points)
        {
            var mine = results.Where(r => r.Point == point && r.Server == server).ToList();
            var theirs = results.Where(r => r.Point == point && r.Server == peer).ToList();
            if (mine.Count == 0 || theirs.Count == 0) continue;
            double Ratio(Func<LoadResult, double> metric) => Median(mine, metric) / Median(theirs, metric);
            output.WriteLine(string.Create(Invariant,
                $"{point,-8}  {Ratio(r => r.ResponsesPerSecond),9:F2}x  {Ratio(r => r.ServerCpuMicrosPerResponse),7:F2}x  {Ratio(r => r.P50Micros),5:F2}x  {Ratio(r => r.P99Micros),5:F2}x"));
        }
    }

    public static double Median(IReadOnlyList<LoadResult> rows, Func<LoadResult, double> metric)
    {
        var values = rows.Select(metric).Order().ToArray();
        int middle = values.Length / 2;
        return values.Length % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
    }
}
