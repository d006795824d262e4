using Gateway.TestKit;
using Xunit.Abstractions;

namespace Gateway.Storage.Tests.Outbox;

/// <summary>
/// Process-crash durability (reference/reliability.md R1; issue 18 "crashes, long form"). A child enqueues with 16
/// concurrent writers and prints each acknowledged row, while its delivery loop leases rows, prints them as delivered
/// and acks them, as the forwarder does; it is SIGKILLed at a random instant under that steady load and restarted on
/// the same database, <see cref="Kills"/> times (50 in CI; <c>GATEWAY_TESTS_CRASH_KILLS=1000</c> for the long form,
/// README "Reliability"). After every kill integrity_check must pass; at the end a last run delivers what is left, and
/// every acknowledged message must have been delivered (0 lost), each device's rows first delivered in commit order,
/// with every acknowledged message's dedup record kept. Duplicates (delivered, then killed before the ack) are counted.
/// Negative control: the same harness against a child that acknowledges before committing must report losses.
/// </summary>
public sealed class OutboxCrashTests(ITestOutputHelper output) : IDisposable
{
    private static readonly int Kills = int.TryParse(Environment.GetEnvironmentVariable("GATEWAY_TESTS_CRASH_KILLS"), out var kills) && kills > 0 ? kills : 50;
    private readonly TempDirectory _directory = new();

    [Fact]
    public void Sigkill_AtRandomInstantsUnderSteadyLoad_LosesNoAcknowledgedMessage()
    {
        var result = new CrashHarness(_directory.Path).Run(Kills, "steady");
        Figures.Report(result.Describe($"crash (SIGKILL) x{Kills}"));
        output.WriteLine(result.Describe($"seed {result.Seed}"));

        Assert.Equal(Kills, result.Restarts);
        result.AssertNothingAcknowledgedLost();
    }

    [Fact]
    public void NegativeControl_AChildThatAcknowledgesBeforeCommitting_ShowsLosses()
    {
        var result = new CrashHarness(_directory.Path).Run(10, "ack-first");
        output.WriteLine(result.Describe("negative control (ack before commit) x10"));
        Figures.Report(result.Describe("crash negative control (ack before commit) x10"));

        Assert.NotEmpty(result.Lost);
    }

    public void Dispose() => _directory.Dispose();
}
