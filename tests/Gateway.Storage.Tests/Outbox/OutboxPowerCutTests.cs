using Gateway.Storage.Tests.PowerCut;
using Gateway.TestKit;
using Xunit.Abstractions;

namespace Gateway.Storage.Tests.Outbox;

/// <summary>
/// Power-cut durability (reference/reliability.md R3; issue 18 "power cuts"): the crash harness of
/// <see cref="OutboxCrashTests"/> with the database on <see cref="PowerCutMount"/>. Each cut SIGKILLs the child under
/// load and then drops every write, create, rename, unlink and truncate the child had not made durable with
/// fsync/fdatasync (or a directory fsync); the file system is remounted and the child restarted on what survived,
/// <see cref="Cuts"/> times (30 in CI; <c>GATEWAY_TESTS_POWER_CUTS=300</c> for the long form, tests/reliability-long).
/// Same verdict as the crash test: integrity_check ok after every cut, 0 acknowledged lost, per-device order kept,
/// duplicates counted. Negative control: the same harness on a file system that ignores fsync (what synchronous=OFF
/// amounts to) must report losses, or the cut is not really dropping anything.
/// </summary>
public sealed class OutboxPowerCutTests(ITestOutputHelper output)
{
    private static readonly int Cuts = int.TryParse(Environment.GetEnvironmentVariable("GATEWAY_TESTS_POWER_CUTS"), out var cuts) && cuts > 0 ? cuts : 30;

    [Fact]
    public void PowerCut_AtRandomInstantsUnderSteadyLoad_LosesNoAcknowledgedMessage()
    {
        using var mount = PowerCutMount.TryMount(ignoreFsync: false, out var reason);
        if (mount is null)
        {
            output.WriteLine("SKIPPED: " + reason);
            return;
        }
        var result = new CrashHarness(mount.Path).Run(Cuts, "steady", afterKill: mount.Cut);
        Figures.Report(result.Describe($"power cut x{Cuts}"));
        output.WriteLine(result.Describe($"seed {result.Seed}"));

        Assert.Equal(Cuts, result.IntegrityOk);
        Assert.True(result.Lost.Count == 0, $"{result.Lost.Count} acknowledged messages lost to a power cut, e.g. {result.Lost.FirstOrDefault()}");
        Assert.True(result.OrderViolations.Count == 0, $"per-device order broken: {result.OrderViolations.FirstOrDefault()}");
        Assert.Equal(0, result.MissingDedups);
        Assert.Equal(0, result.LeftInOutbox);
        Assert.True(result.Acked > Cuts, $"only {result.Acked} acknowledged: the load never ran");
    }

    [Fact]
    public void NegativeControl_AFileSystemThatIgnoresFsync_ShowsLosses()
    {
        using var mount = PowerCutMount.TryMount(ignoreFsync: true, out var reason);
        if (mount is null)
        {
            output.WriteLine("SKIPPED: " + reason);
            return;
        }
        var result = new CrashHarness(mount.Path).Run(10, "steady", afterKill: mount.Cut);
        output.WriteLine(result.Describe("negative control (fsync ignored) x10"));
        Figures.Report(result.Describe("power cut negative control (fsync ignored, as synchronous=OFF) x10"));

        Assert.NotEmpty(result.Lost);
    }
}
