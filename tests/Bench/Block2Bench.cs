using System.Diagnostics;
using System.Globalization;
using System.Net;
using Gateway.Bench.Coap;

namespace Gateway.Bench;

/// <summary>
/// <c>Bench block2</c> (issue 21): N clients at once each download an image block by block from a running
/// gateway (RFC 7959 Block2, 1024-byte blocks by default), against the same N clients doing plain GETs of
/// <c>/.well-known/core</c> in the same run, phases interleaved. Reports blocks/s, GET/s, their ratio, and the
/// gateway's peak resident set during each phase (sampled from /proc/PID/status with <c>--pid</c>).
/// </summary>
internal static class Block2Bench
{
    private const string Usage = """
        usage: Bench block2 --path '/fw/TOKEN?title=T&version=V' [options]
          --target HOST:PORT   gateway address [default [::1]:5683]
          --path P             the image: a path with its query, as a device asks for it (required)
          --n N                concurrent clients [default 100]
          --duration S         seconds measured per phase [default 10]
          --warmup S           seconds of load before each phase is measured [default 1]
          --rounds R           GET and Block2 phases, interleaved [default 2]
          --szx Z              Block2 SZX the clients ask for (6 = 1024 bytes) [default 6]
          --threads T          generator threads [default 1]
          --pid PID            the gateway's process id, to report its peak resident set per phase
          --spread             client i of N jumps from block 0 to i/N of the image (Size2): the N clients read all of it
        """;

    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static int Run(string[] args)
    {
        IPEndPoint target = new(IPAddress.IPv6Loopback, 5683);
        string? path = null;
        int n = 100, rounds = 2, szx = 6, threads = 1, pid = -1;
        bool spread = false;
        double duration = 10, warmup = 1;
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => ++i < args.Length ? args[i] : throw new ArgumentException($"{args[i - 1]} needs a value");
            switch (args[i])
            {
                case "--target": target = IPEndPoint.Parse(Value()); break;
                case "--path": path = Value(); break;
                case "--n": n = int.Parse(Value(), Invariant); break;
                case "--duration": duration = double.Parse(Value(), Invariant); break;
                case "--warmup": warmup = double.Parse(Value(), Invariant); break;
                case "--rounds": rounds = int.Parse(Value(), Invariant); break;
                case "--szx": szx = int.Parse(Value(), Invariant); break;
                case "--threads": threads = int.Parse(Value(), Invariant); break;
                case "--pid": pid = int.Parse(Value(), Invariant); break;
                case "--spread": spread = true; break;
                case "--help": Console.WriteLine(Usage); return 0;
                default: Console.Error.WriteLine($"block2: unknown option {args[i]}\n{Usage}"); return 2;
            }
        }
        if (path is null || n < 1 || threads < 1 || szx is < 0 or > 6 || !OperatingSystem.IsLinux())
        {
            Console.Error.WriteLine($"block2: --path is required; N, threads ≥ 1; SZX 0..6; Linux only (epoll)\n{Usage}");
            return 2;
        }
        Console.WriteLine(string.Create(Invariant, $"block2: coap://{target}{path}, N = {n}, {duration:0.#} s per phase, SZX {szx}, {rounds} round(s)"));
        double getRate = 0, blockRate = 0;
        for (int round = 1; round <= rounds; round++)
        {
            var get = Phase(target, "/.well-known/core", null, n, threads, warmup, duration, pid);
            var blocks = Phase(target, path, szx, n, threads, warmup, duration, pid, spread ? n : 0);
            if (get is null || blocks is null) return 1;
            Console.WriteLine(string.Create(Invariant,
                $"round {round}: GET /.well-known/core {get.Value.Rate,9:N0}/s (peak RSS {Mib(get.Value.PeakKiB)})   " +
                $"Block2 {blocks.Value.Rate,9:N0} blocks/s, {blocks.Value.Downloads:N0} downloads (peak RSS {Mib(blocks.Value.PeakKiB)})   " +
                $"ratio {blocks.Value.Rate / get.Value.Rate:F2}   non-2.xx {get.Value.NonSuccess + blocks.Value.NonSuccess}, retransmissions {get.Value.Retransmissions + blocks.Value.Retransmissions}"));
            getRate += get.Value.Rate;
            blockRate += blocks.Value.Rate;
        }
        Console.WriteLine(string.Create(Invariant, $"mean: GET {getRate / rounds:N0}/s, Block2 {blockRate / rounds:N0} blocks/s, ratio {blockRate / getRate:F2}"));
        return 0;
    }

    private static (double Rate, long Downloads, long NonSuccess, long Retransmissions, long PeakKiB)? Phase(
        IPEndPoint target, string path, int? szx, int n, int threads, double warmup, double duration, int pid, int spreadOver = 0)
    {
        var control = new RunControl();
        threads = Math.Min(threads, n);
        var workers = new Block2Clients[threads];
        for (int t = 0, first = 0; t < threads; t++)
        {
            int count = n / threads + (t < n % threads ? 1 : 0);
            workers[t] = new Block2Clients(control, target, path, count, szx, first, spreadOver);
            first += count;
        }
        var running = workers.Select((w, t) => new Thread(w.Run) { IsBackground = true, Name = $"block2-{t}" }).ToArray();
        foreach (var thread in running) thread.Start();
        Thread.Sleep(TimeSpan.FromSeconds(warmup));
        control.BeginMeasuring();
        long start = Stopwatch.GetTimestamp(), peak = -1;
        while (Stopwatch.GetElapsedTime(start).TotalSeconds < duration)
        {
            Thread.Sleep(50);
            peak = Math.Max(peak, ResidentKiB(pid));
        }
        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        long responses = workers.Sum(w => Volatile.Read(ref w.Responses));
        control.Stop();
        foreach (var thread in running) thread.Join(TimeSpan.FromSeconds(5));
        if (workers.FirstOrDefault(w => w.Error is not null) is { } failed)
        {
            Console.Error.WriteLine($"block2: {failed.Error!.Message}");
            return null;
        }
        if (workers.FirstOrDefault(w => w.LastCode != 0) is { } refused)
            Console.Error.WriteLine(string.Create(Invariant, $"block2: {path} answered {refused.LastCode >> 5}.{refused.LastCode & 0x1F:D2}"));
        return (responses / seconds, workers.Sum(w => w.Downloads), workers.Sum(w => w.NonSuccess), workers.Sum(w => w.Retransmissions), peak);
    }

    /// <summary>VmRSS of <paramref name="pid"/> in KiB (-1 without a readable process).</summary>
    private static long ResidentKiB(int pid)
    {
        if (pid <= 0) return -1;
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                    return long.Parse(line[6..].Trim().Split(' ')[0], Invariant);
        }
        catch (IOException)
        {
        }
        return -1;
    }

    private static string Mib(long kib) => kib < 0 ? "n/a" : string.Create(Invariant, $"{kib / 1024.0:F1} MiB");
}
