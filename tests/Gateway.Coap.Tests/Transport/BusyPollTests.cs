using Gateway.Coap.Transport;

namespace Gateway.Coap.Tests.Transport;

/// <summary>
/// When a receive thread polls rather than sleeps: only after a datagram that came within the budget and that it answered
/// itself, and only for the budget.
/// </summary>
public sealed class BusyPollTests
{
    [Fact]
    public void AThreadThatHasSeenNoDatagramYet_Sleeps()
    {
        var poll = new BusyPoll(100);
        Assert.False(poll.Polls(0));
    }

    [Fact]
    public void AfterADatagramThatCameWithinTheBudget_ItPollsUntilTheBudgetIsSpent()
    {
        var poll = new BusyPoll(100);
        poll.Arrived(100);
        poll.Answered();
        Assert.True(poll.Polls(0));
        Assert.True(poll.Polls(99));
        Assert.False(poll.Polls(100));
        Assert.False(poll.Polls(5_000));
    }

    [Fact]
    public void AfterADatagramThatCameLater_ItSleeps_UntilTrafficIsDenseAgain()
    {
        var poll = new BusyPoll(100);
        poll.Arrived(10);
        poll.Answered();
        poll.Arrived(101);
        poll.Answered();
        Assert.False(poll.Polls(0));
        poll.Arrived(40);
        poll.Answered();
        Assert.True(poll.Polls(0));
    }

    [Fact]
    public void ADatagramItDidNotAnswer_LeavesItAsleep_ForItsAnswerComesFromElsewhere()
    {
        var poll = new BusyPoll(100);
        poll.Arrived(10);
        Assert.False(poll.Polls(0));
        poll.Answered();
        Assert.True(poll.Polls(0));
        poll.Arrived(10); // the next one: not answered yet
        Assert.False(poll.Polls(0));
    }

    [Fact]
    public void ABudgetOfZero_NeverPolls()
    {
        var poll = new BusyPoll(0);
        poll.Arrived(0);
        poll.Answered();
        Assert.False(poll.Polls(0));
    }

    [Fact]
    public void ANegativeBudget_IsRefused() => Assert.Throws<ArgumentOutOfRangeException>(() => new BusyPoll(-1));
}
