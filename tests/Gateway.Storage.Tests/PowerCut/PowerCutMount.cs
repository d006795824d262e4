using System.Diagnostics;

namespace Gateway.Storage.Tests.PowerCut;

/// <summary>
/// powercutfs.py (python3-fusepy, fuse3) mounted on a fresh directory: a file system whose unsynced writes, creates,
/// renames, unlinks and truncates live only in the FUSE process, so <see cref="Cut"/> (SIGKILL of that process,
/// lazy unmount, remount on the same backing directory) keeps exactly what fsync/fdatasync and directory fsync made
/// durable. Needs /dev/fuse, root (CI runs as root) and the two Debian packages tests/run installs; <see cref="TryMount"/>
/// returns null with the reason where one is missing, and the tests print "SKIPPED: ..." as the tmpfs tests do.
/// </summary>
public sealed class PowerCutMount : IDisposable
{
    private const string Python = "/usr/bin/python3";
    private readonly string _backing;
    private readonly bool _ignoreFsync;
    private Process _daemon;

    private PowerCutMount(string path, string backing, bool ignoreFsync)
    {
        Path = path;
        _backing = backing;
        _ignoreFsync = ignoreFsync;
        _daemon = Mount();
    }

    /// <summary>The mount point: the data directory to put the database in.</summary>
    public string Path { get; }

    /// <param name="ignoreFsync">The negative control: fsync succeeds without making anything durable (as synchronous=OFF).</param>
    public static PowerCutMount? TryMount(bool ignoreFsync, out string reason)
    {
        reason = !File.Exists("/dev/fuse") ? "no /dev/fuse in this container"
            : Environment.UserName != "root" ? "mounting FUSE here needs root"
            : !File.Exists(Python) || Run(Python, "-c", "import fusepy") != 0 ? "python3-fusepy is not installed (tests/run installs it as root)"
            : "";
        if (reason.Length > 0) return null;
        var root = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "gw-powercut-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(System.IO.Path.Combine(root, "mnt"));
        Directory.CreateDirectory(System.IO.Path.Combine(root, "durable"));
        try
        {
            return new PowerCutMount(System.IO.Path.Combine(root, "mnt"), System.IO.Path.Combine(root, "durable"), ignoreFsync);
        }
        catch (InvalidOperationException e)
        {
            reason = e.Message;
            return null;
        }
    }

    /// <summary>The power cut: every write not yet durable is gone; then the file system is back, as after a reboot.</summary>
    public void Cut()
    {
        Stop();
        _daemon = Mount();
    }

    public void Dispose()
    {
        Stop();
        try
        {
            Directory.Delete(System.IO.Path.GetDirectoryName(Path)!, recursive: true);
        }
        catch (IOException)
        {
            // Lazy unmount still detaching; harmless leftovers in the temp folder.
        }
    }

    private Process Mount()
    {
        var script = System.IO.Path.Combine(AppContext.BaseDirectory, "PowerCut", "powercutfs.py");
        var info = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { script, _backing, Path }.Concat(_ignoreFsync ? ["--ignore-fsync"] : Array.Empty<string>())) info.ArgumentList.Add(arg);
        var process = Process.Start(info)!;
        var mounted = new ManualResetEventSlim();
        var errors = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data == "mounted") mounted.Set(); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is { } line) lock (errors) errors.AppendLine(line); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var clock = Stopwatch.StartNew();
        while (!mounted.Wait(100))
        {
            if (process.HasExited) throw new InvalidOperationException($"powercutfs.py exited ({process.ExitCode}): {errors}");
            if (clock.Elapsed > TimeSpan.FromSeconds(60)) throw new InvalidOperationException("powercutfs.py did not mount within 60 s");
        }
        return process;
    }

    private void Stop()
    {
        _daemon.Kill(); // SIGKILL: the volatile state dies with the process, nothing is flushed
        _daemon.WaitForExit();
        _daemon.Dispose();
        Run("umount", "-l", Path);
    }

    private static int Run(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true };
        args.ToList().ForEach(info.ArgumentList.Add);
        using var process = Process.Start(info)!;
        process.StandardError.ReadToEnd();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode;
    }
}
