using System.Diagnostics;

namespace Gateway.Storage.Tests;

/// <summary>
/// A size-limited tmpfs mounted for one test (needs root, as in CI here). <see cref="TryMount"/>
/// returns null with a reason where mounting is impossible; tests then print "SKIPPED: ..." and
/// return — xunit 2 has no dynamic skip, and a pass-with-message keeps the run green on
/// developer machines while the CI log still shows the test did not really run.
/// </summary>
public sealed class TmpfsMount : IDisposable
{
    private TmpfsMount(string path) => Path = path;

    public string Path { get; }

    public static TmpfsMount? TryMount(long bytes, out string reason)
    {
        var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "gw-tmpfs-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(path);
        var (code, output) = Run("mount", "-t", "tmpfs", "-o", $"size={bytes}", "tmpfs", path);
        if (code != 0)
        {
            Directory.Delete(path);
            reason = $"mount -t tmpfs failed ({code}): {output.Trim()}";
            return null;
        }
        reason = "";
        return new TmpfsMount(path);
    }

    public void Dispose()
    {
        Run("umount", "-l", Path);
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Lazy unmount still detaching; the directory is empty and harmless.
        }
    }

    private static (int Code, string Output) Run(string file, params string[] args)
    {
        try
        {
            var info = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true };
            args.ToList().ForEach(info.ArgumentList.Add);
            using var process = Process.Start(info)!;
            var output = process.StandardError.ReadToEnd() + process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, output);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (-1, e.Message);
        }
    }
}
