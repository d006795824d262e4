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
/// amounts to), with the child delivering nothing until the final drain, must report losses, or the cut is not really
/// dropping anything.
/// </summary>
public sealed class OutboxPowerCutTests(ITestOutputHelper output)
{
    private static readonly int Cuts = int.TryParse(Environment.GetEnvironmentVariable("GATEWAY_TESTS_POWER_CUTS"), out var cuts) && cuts > 0 ? cuts : 30;

    [Fact]
    public void PowerCut_AtRandomInstantsUnderSteadyLoad_LosesNoAcknowledgedMessage()
    {
        if (RunOnPowerCutMount(ignoreFsync: false, Cuts, $"power cut x{Cuts}") is not { } result) return;

        Assert.Equal(Cuts, result.Restarts);
        result.AssertNothingAcknowledgedLost();
    }

    [Fact]
    public void PowerCut_WithNothingDeliveredBetweenCuts_KeepsEveryAcknowledgedRow()
    {
        // The workload of the negative control below, on a file system that honours fsync: the control's losses come
        // from the ignored fsyncs, not from the workload.
        if (RunOnPowerCutMount(ignoreFsync: false, 10, "power cut, no delivery x10", "enqueue") is not { } result) return;

        Assert.Equal(10, result.Restarts);
        result.AssertNothingAcknowledgedLost();
    }

    [Fact]
    public void NegativeControl_AFileSystemThatIgnoresFsync_ShowsLosses()
    {
        // Nothing is delivered before the drain, so every acknowledged row has to come through the cuts.
        if (RunOnPowerCutMount(ignoreFsync: true, 10, "power cut negative control (fsync ignored, as synchronous=OFF; no delivery) x10", "enqueue") is not { } result) return;

        Assert.NotEmpty(result.Lost);
    }

    /// <summary>The harness with a power cut after every kill, its figures reported; null (and "SKIPPED: …") where FUSE is unavailable.</summary>
    private CrashHarness.CrashResult? RunOnPowerCutMount(bool ignoreFsync, int cuts, string what, string mode = "steady")
    {
        using var mount = PowerCutMount.TryMount(ignoreFsync, out var reason);
        if (mount is null)
        {
            output.WriteLine("SKIPPED: " + reason);
            return null;
        }
        var result = new CrashHarness(mount.Path).Run(cuts, mode, afterKill: mount.Cut);
        Figures.Report(result.Describe(what));
        output.WriteLine(result.Describe(what));
        return result;
    }
}
