using System.Globalization;
using System.Runtime.InteropServices;

namespace Gateway.Bench.Coap;

/// <summary>
/// CPU time of a process from /proc. <c>/proc/PID/stat</c> utime+stime covers the whole thread
/// group, dead threads included, but only in clock ticks (10 ms). <c>/proc/PID/task/*/schedstat</c>
/// is exact (ns) but per live thread: a thread that exits between two samples would take its time
/// with it. So the nanosecond sum is used only when both samples saw the same threads.
/// </summary>
internal sealed class ProcessCpu
{
    private static readonly long ClockTicks = ReadClockTicks();

    private ProcessCpu(long statNanos, long schedNanos, string threads)
    {
        StatNanos = statNanos;
        SchedNanos = schedNanos;
        Threads = threads;
    }

    public long StatNanos { get; }
    public long SchedNanos { get; }      // -1 when schedstat is not available
    public string Threads { get; }       // sorted thread ids, to compare two samples

    public static ProcessCpu Read(int pid)
    {
        long stat = ReadStat(pid);
        long sched = 0;
        var threads = new List<int>();
        try
        {
            foreach (var dir in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                string text = File.ReadAllText(Path.Combine(dir, "schedstat"));
                sched += long.Parse(text.AsSpan(0, text.IndexOf(' ')), CultureInfo.InvariantCulture);
                threads.Add(int.Parse(Path.GetFileName(dir), CultureInfo.InvariantCulture));
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            sched = -1; // a thread vanished mid-scan, or no schedstat: fall back to ticks
        }
        threads.Sort();
        return new ProcessCpu(stat, sched, string.Join(',', threads));
    }

    /// <summary>CPU nanoseconds between two samples and which source gave them ("ns" or "ticks").</summary>
    public static (double Nanos, string Source) Between(ProcessCpu before, ProcessCpu after)
    {
        if (before.SchedNanos >= 0 && after.SchedNanos >= 0 && before.Threads == after.Threads)
            return (after.SchedNanos - before.SchedNanos, "ns");
        return (after.StatNanos - before.StatNanos, "ticks");
    }

    private static long ReadStat(int pid)
    {
        string text = File.ReadAllText($"/proc/{pid}/stat");
        // The command name (field 2) may contain spaces and parentheses: fields restart after the last ')'.
        var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        // After the name: state is field 3, so utime (14) and stime (15) are at indexes 11 and 12.
        long ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return ticks * (1_000_000_000 / ClockTicks);
    }

    private static long ReadClockTicks()
    {
        const int ScClkTck = 2; // _SC_CLK_TCK on Linux
        long ticks = sysconf(ScClkTck);
        return ticks > 0 ? ticks : 100;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern long sysconf(int name);
}
