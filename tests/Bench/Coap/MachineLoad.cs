using System.Globalization;

namespace Gateway.Bench.Coap;

/// <summary>
/// Whole-machine busy share from /proc/stat. The two cores are shared with other people's builds;
/// like the reference runner, each point first waits (bounded) for the machine to be quiet and
/// records what it saw, so a noisy point can be recognised afterwards.
/// </summary>
internal static class MachineLoad
{
    /// <summary>Waits until busy ≤ <paramref name="thresholdPercent"/> or the time runs out; returns the last busy %.</summary>
    public static double WaitQuiet(double thresholdPercent, TimeSpan maxWait, CancellationToken cancel)
    {
        var until = DateTime.UtcNow + maxWait;
        while (true)
        {
            double busy = BusyPercent(TimeSpan.FromMilliseconds(300));
            if (busy <= thresholdPercent || DateTime.UtcNow >= until || cancel.IsCancellationRequested) return busy;
            cancel.WaitHandle.WaitOne(700);
        }
    }

    public static double BusyPercent(TimeSpan over)
    {
        var (busy0, total0) = Read();
        Thread.Sleep(over);
        var (busy1, total1) = Read();
        long total = total1 - total0;
        return total <= 0 ? 0 : 100.0 * (busy1 - busy0) / total;
    }

    private static (long Busy, long Total) Read()
    {
        string line = File.ReadLines("/proc/stat").First();
        var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        long total = 0;
        for (int i = 1; i < fields.Length && i <= 8; i++) total += long.Parse(fields[i], CultureInfo.InvariantCulture);
        long idle = long.Parse(fields[4], CultureInfo.InvariantCulture) + long.Parse(fields[5], CultureInfo.InvariantCulture);
        return (total - idle, total);
    }
}
