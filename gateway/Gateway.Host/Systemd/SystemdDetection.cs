using System.Globalization;

namespace Gateway.Host.Systemd;

/// <summary>Whether systemd started this process (then log lines go to the journal in its <c>&lt;pri&gt;</c> format).</summary>
public static class SystemdDetection
{
    public static bool IsSystemdService()
    {
        if (!OperatingSystem.IsLinux()) return false;
        // systemd ≥ 248 sets SYSTEMD_EXEC_PID for the main process of a unit.
        if (Environment.GetEnvironmentVariable("SYSTEMD_EXEC_PID") == Environment.ProcessId.ToString(CultureInfo.InvariantCulture)) return true;
        // Older systemd: our parent is PID 1 running systemd (the check Microsoft.Extensions.Hosting.Systemd makes).
        try
        {
            var stat = File.ReadAllText("/proc/self/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var parent = int.Parse(fields[1], CultureInfo.InvariantCulture);
            return File.ReadAllText($"/proc/{parent}/comm").Trim() == "systemd";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return false;
        }
    }
}
