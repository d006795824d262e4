using System.Diagnostics;
using System.Net;

namespace Gateway.Bench.Coap;

/// <summary>
/// Runs one point against one server: the workers load it through the warm-up, then the server's
/// (and our own) CPU is sampled around the measured window.
/// </summary>
internal static class LoadGenerator
{
    public static LoadResult Run(BenchServer server, LoadPoint point, int round, IPAddress source,
        TimeSpan warmup, TimeSpan duration, int threads, double busyBefore, CancellationToken cancel)
    {
        var control = new RunControl();
        int threadCount = Math.Clamp(threads, 1, point.Outstanding);
        var workers = new LoadWorker[threadCount];
        int first = 0;
        for (int t = 0; t < threadCount; t++)
        {
            int count = point.Outstanding / threadCount + (t < point.Outstanding % threadCount ? 1 : 0);
            workers[t] = new LoadWorker(control, server.EndPoint, source, server.RequestTemplate, first, count,
                point.SocketsPerSlot, seed: HashCode.Combine(round, t, point.Outstanding));
            first += count;
        }
        var running = workers.Select((w, t) => new Thread(w.Run) { IsBackground = true, Name = $"coapload-{t}" }).ToArray();
        foreach (var thread in running) thread.Start();
        try
        {
            cancel.WaitHandle.WaitOne(warmup);
            var serverBefore = server.ReadCpu();
            var selfBefore = ProcessCpu.Read(Environment.ProcessId);
            long start = Stopwatch.GetTimestamp();
            control.BeginMeasuring();
            cancel.WaitHandle.WaitOne(duration);
            control.Stop();
            long end = Stopwatch.GetTimestamp();
            var serverAfter = server.ReadCpu();
            var selfAfter = ProcessCpu.Read(Environment.ProcessId);
            foreach (var thread in running) thread.Join(TimeSpan.FromSeconds(10));
            cancel.ThrowIfCancellationRequested();
            if (workers.FirstOrDefault(w => w.Error is not null) is { } failed)
                throw new InvalidOperationException($"load worker failed: {failed.Error!.Message}", failed.Error);

            var histogram = new LatencyHistogram();
            foreach (var worker in workers) histogram.Add(worker.Histogram);
            long responses = workers.Sum(w => w.Responses);
            var (serverNanos, source1) = ProcessCpu.Between(serverBefore, serverAfter);
            var (selfNanos, _) = ProcessCpu.Between(selfBefore, selfAfter);
            double perResponse(double nanos) => responses == 0 ? double.NaN : nanos / 1000.0 / responses;
            return new LoadResult(server.Name, point, round, (end - start) / (double)Stopwatch.Frequency, responses,
                histogram.Percentile(0.50), histogram.Percentile(0.99), perResponse(serverNanos), source1, perResponse(selfNanos),
                workers.Sum(w => w.Retransmissions), workers.Sum(w => w.Failures), workers.Sum(w => w.Resets),
                workers.Sum(w => w.Stale), workers.Sum(w => w.NonSuccess), workers.Sum(w => w.SocketErrors),
                workers.Sum(w => w.Separate), workers.Select(w => w.LastCode).FirstOrDefault(c => c != 0), busyBefore);
        }
        finally
        {
            control.Stop();
            foreach (var thread in running) thread.Join(TimeSpan.FromSeconds(10));
        }
    }
}
