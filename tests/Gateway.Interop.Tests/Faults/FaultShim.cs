using System.Globalization;
using Gateway.Interop.Tests.Support;

namespace Gateway.Interop.Tests.Faults;

/// <summary>
/// <c>faultshim.so</c> (built from <c>faultshim.c</c> with gcc on first use): preloaded into the gateway, it fails
/// the N-th to M-th fsync/fdatasync ("sync") or pwrite ("write") on files under one directory, counted over all
/// threads, with a chosen errno. Armed and disarmed through a control file while the gateway runs.
/// </summary>
public sealed class FaultShim : IDisposable
{
    public const int EIO = 5, EROFS = 30;
    private static readonly SemaphoreSlim BuildGate = new(1, 1);
    private static string? _library;
    private readonly string _control = Path.Combine(Path.GetTempPath(), $"coapgw-faultctl-{Guid.NewGuid():N}");

    private FaultShim(string library, string directory)
    {
        Environment = new Dictionary<string, string>
        {
            ["LD_PRELOAD"] = library,
            ["FAULT_DIR"] = Path.GetFullPath(directory),
            ["FAULT_CTL"] = _control,
        };
    }

    /// <summary>The variables to start the gateway with.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; }

    public static async Task<FaultShim> CreateAsync(string directory)
    {
        await BuildGate.WaitAsync();
        try
        {
            if (_library is null)
            {
                string output = Path.Combine(Path.GetTempPath(), $"coapgw-faultshim-{Guid.NewGuid():N}.so");
                var result = await ProcessRunner.RunAsync("gcc", ["-shared", "-fPIC", "-O2", "-Wall", "-Werror", "-o", output,
                    Path.Combine(AppContext.BaseDirectory, "Faults", "faultshim.c"), "-ldl"]);
                if (result.ExitCode != 0) throw new InvalidOperationException("gcc could not build faultshim.so (tests/run installs gcc):\n" + result.Describe());
                _library = output;
            }
        }
        finally
        {
            BuildGate.Release();
        }
        return new FaultShim(_library, directory);
    }

    /// <summary>From now, fail the <paramref name="first"/>-th to <paramref name="last"/>-th call of <paramref name="kind"/> ("sync" or "write").</summary>
    public void Arm(string kind, long first, long last, int errno) =>
        File.WriteAllText(_control, string.Create(CultureInfo.InvariantCulture, $"{kind} {first} {last} {errno}\n"));

    public void Disarm() => File.Delete(_control);

    public void Dispose() => Disarm();
}
