using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Gateway.Host.Tests;

/// <summary>
/// reliability.md S9: the shipped unit (<c>packaging/deb/coap-gateway.service</c>) is clean for
/// <c>systemd-analyze verify</c>, scores an exposure of at most 2.0 in <c>systemd-analyze security</c>,
/// has no capabilities, denies writable-and-executable memory (the packaged binary is NativeAOT: no JIT),
/// and promises what the process does.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed partial class SystemdUnitTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("coapgw-unit-").FullName;

    private static string UnitPath
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, "packaging", "deb", "coap-gateway.service");
                if (File.Exists(candidate)) return candidate;
            }
            throw new FileNotFoundException("packaging/deb/coap-gateway.service not found above the test directory");
        }
    }

    private static (int ExitCode, string Output) Run(params string[] arguments)
    {
        var start = new ProcessStartInfo("systemd-analyze") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(60_000), "systemd-analyze did not finish within 60 s");
        return (process.ExitCode, (stdout.Result + stderr.Result).Trim());
    }

    [Fact]
    public void Verify_IsClean()
    {
        // An image of the installed layout: the unit, an executable where ExecStart points, and the system's
        // own units (for the default dependencies). verify reports problems as text, sometimes with exit 0.
        string units = Path.Combine(_root, "etc", "systemd", "system");
        Directory.CreateDirectory(units);
        File.Copy(UnitPath, Path.Combine(units, "coap-gateway.service"));
        string execStart = File.ReadAllLines(UnitPath).Single(l => l.StartsWith("ExecStart=", StringComparison.Ordinal));
        string binary = Path.Combine(_root, execStart["ExecStart=".Length..].Split(' ')[0].TrimStart('/'));
        Directory.CreateDirectory(Path.GetDirectoryName(binary)!);
        File.WriteAllText(binary, "#!/bin/sh\n");
        File.SetUnixFileMode(binary, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        string systemUnits = Path.Combine(_root, "usr", "lib", "systemd", "system");
        Directory.CreateDirectory(systemUnits);
        foreach (var file in Directory.EnumerateFiles("/lib/systemd/system").Where(f => f.EndsWith(".target", StringComparison.Ordinal) || f.EndsWith(".slice", StringComparison.Ordinal)))
            File.Copy(file, Path.Combine(systemUnits, Path.GetFileName(file)));

        // --man=no: Documentation=man:coap-gateway(8) is installed by the package, not on the build machine
        // (packaging/deb/test checks the page is in the .deb).
        var (exit, output) = Run("verify", "--man=no", $"--root={_root}", "coap-gateway.service");

        Assert.True(exit == 0 && output.Length == 0, $"exit {exit}:\n{output}");
    }

    [Fact]
    public void SecurityExposure_IsAtMost2()
    {
        var (_, output) = Run("security", "--offline=yes", "--no-pager", UnitPath);
        var match = ExposureLine().Match(output);
        Assert.True(match.Success, output);
        double exposure = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.True(exposure <= 2.0, $"exposure {exposure}:\n{output}");
    }

    [Fact]
    public void Unit_GrantsNothing_AndPromisesWhatTheProcessDoes()
    {
        var lines = File.ReadAllLines(UnitPath).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
        Assert.Contains("CapabilityBoundingSet=", lines);
        Assert.Contains("AmbientCapabilities=", lines);
        // The package ships the NativeAOT build (packaging/deb/build), which never writes code; packaging/deb/test
        // runs it under the same seccomp rule. A JIT build (dotnet coap-gateway.dll) must not use this unit.
        Assert.Contains("MemoryDenyWriteExecute=yes", lines);
        Assert.Contains("ExecStart=/usr/bin/coap-gateway run", lines);
        Assert.Contains("User=coap-gateway", lines); // the package's system user (postinst), not DynamicUser
        Assert.Contains("Type=notify", lines);  // the process sends READY=1 (SystemdNotifyTests)
        Assert.Contains(lines, l => l.StartsWith("WatchdogSec=", StringComparison.Ordinal));
        Assert.Contains("StateDirectory=coap-gateway", lines); // STATE_DIRECTORY is the default data directory
        Assert.Contains(lines, l => l.StartsWith("ExecStart=", StringComparison.Ordinal) && l.EndsWith(" run", StringComparison.Ordinal));
        // The host stops gracefully within 10 s (GatewayApplication); systemd must wait longer before SIGKILL.
        var stop = lines.Single(l => l.StartsWith("TimeoutStopSec=", StringComparison.Ordinal));
        Assert.True(int.Parse(stop["TimeoutStopSec=".Length..], CultureInfo.InvariantCulture) > 10, stop);
    }

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    [GeneratedRegex(@"Overall exposure level for \S+: (\d+\.\d+)")]
    private static partial Regex ExposureLine();
}
