using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Gateway.Bench.Coap;
using Gateway.Coap.Messages;

namespace Gateway.Bench;

/// <summary>
/// <c>Bench load</c>: the closed-loop generator of <c>Bench coap</c> pointed at a gateway the user runs
/// (README "Load-testing your own gateway"); nothing is started or stopped here. Prints a progress line
/// while it runs and a summary at the end.
/// </summary>
internal static class LoadCommand
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static int Run(string[] args)
    {
        LoadOptions? options;
        string? error;
        try
        {
            options = LoadOptions.Parse(args, out error);
        }
        catch (SocketException e)
        {
            (options, error) = (null, $"--target: {e.Message}");
        }
        if (options is null)
        {
            Console.Error.WriteLine($"load: {error}");
            return 2;
        }
        if (options.Help)
        {
            Console.WriteLine(LoadOptions.Usage);
            return 0;
        }
        if (!OperatingSystem.IsLinux())
        {
            Console.Error.WriteLine("load: Linux only (epoll)");
            return 2;
        }
        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => { context.Cancel = true; cancel.Cancel(); });
        Console.WriteLine(string.Create(Invariant,
            $"load: {options.Scenario} coap://{options.Target}{options.Path}, N = {options.N}, {options.Duration.TotalSeconds:0.#} s, {options.Threads} thread(s)"));
        try
        {
            return options.Scenario == "observe" ? ObserveLoad.Run(options, cancel.Token) : RunRequests(options, cancel.Token);
        }
        catch (SocketException e)
        {
            Console.Error.WriteLine($"load: {e.Message}");
            return 1;
        }
    }

    private static int RunRequests(LoadOptions options, CancellationToken cancel)
    {
        var request = options.Scenario == "post"
            ? new BenchRequest(CoapCode.Post, System.Text.Encoding.UTF8.GetBytes(options.Payload), 50)
            : BenchRequest.Get;
        var template = BenchServer.BuildRequest(options.Path, request);
        var control = new RunControl();
        int threads = Math.Min(options.Threads, options.N);
        var workers = new LoadWorker[threads];
        for (int t = 0, first = 0; t < threads; t++)
        {
            int count = options.N / threads + (t < options.N % threads ? 1 : 0);
            workers[t] = new LoadWorker(control, options.Target!, IPAddress.Any, template, first, count, socketsPerSlot: 1, seed: t);
            first += count;
        }
        var running = workers.Select((w, t) => new Thread(w.Run) { IsBackground = true, Name = $"coapload-{t}" }).ToArray();
        foreach (var thread in running) thread.Start();
        long Responses() => workers.Sum(w => Volatile.Read(ref w.Responses));
        long Retransmissions() => workers.Sum(w => Volatile.Read(ref w.Retransmissions));
        try
        {
            cancel.WaitHandle.WaitOne(options.Warmup);
            control.BeginMeasuring();
            long start = Stopwatch.GetTimestamp();
            ReportProgress(options, start, cancel, Responses,
                rate => string.Create(Invariant, $"{Responses(),12:N0} responses   {rate,10:N0}/s   {Retransmissions():N0} retransmissions"));
            control.Stop();
            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            foreach (var thread in running) thread.Join(TimeSpan.FromSeconds(10));
            if (workers.FirstOrDefault(w => w.Error is not null) is { } failed)
            {
                Console.Error.WriteLine($"load: {failed.Error!.Message}");
                return 1;
            }
            var histogram = new LatencyHistogram();
            foreach (var worker in workers) histogram.Add(worker.Histogram);
            long responses = workers.Sum(w => w.Responses);
            Console.WriteLine(string.Create(Invariant,
                $"{responses:N0} responses in {seconds:F1} s: {responses / seconds:N0}/s, p50 {histogram.Percentile(0.50)} µs, p99 {histogram.Percentile(0.99)} µs; " +
                $"{workers.Sum(w => w.Retransmissions):N0} retransmissions, {workers.Sum(w => w.Failures):N0} failed (no answer after 4 retransmissions), " +
                $"{workers.Sum(w => w.NonSuccess):N0} non-2.xx{(workers.Select(w => w.LastCode).FirstOrDefault(c => c >> 5 != 2 && c != 0) is var code and not 0 ? $" (e.g. {code >> 5}.{code & 0x1F:D2})" : "")}, " +
                $"{workers.Sum(w => w.Resets):N0} resets"));
            return cancel.IsCancellationRequested ? 130 : 0;
        }
        finally
        {
            control.Stop();
            foreach (var thread in running) thread.Join(TimeSpan.FromSeconds(10));
        }
    }

    /// <summary>
    /// Waits out the measured duration, printing <paramref name="line"/> of the rate of <paramref name="count"/> over the
    /// last interval every <see cref="LoadOptions.Progress"/>.
    /// </summary>
    internal static void ReportProgress(LoadOptions options, long start, CancellationToken cancel, Func<long> count, Func<double, string> line)
    {
        var nextLine = options.Progress > TimeSpan.Zero ? options.Progress : TimeSpan.MaxValue;
        long lastCount = 0;
        long lastAt = start;
        while (!cancel.IsCancellationRequested)
        {
            var elapsed = Stopwatch.GetElapsedTime(start);
            if (elapsed >= options.Duration) break;
            if (elapsed < nextLine)
            {
                var wait = (nextLine < options.Duration ? nextLine : options.Duration) - elapsed;
                cancel.WaitHandle.WaitOne(wait + TimeSpan.FromMilliseconds(1));
                continue;
            }
            long now = Stopwatch.GetTimestamp();
            long current = count();
            double rate = (current - lastCount) / Stopwatch.GetElapsedTime(lastAt, now).TotalSeconds;
            Console.WriteLine(string.Create(Invariant, $"[{Stopwatch.GetElapsedTime(start, now).TotalSeconds,6:F0} s] {line(rate)}"));
            (lastCount, lastAt) = (current, now);
            nextLine += options.Progress;
        }
    }
}
