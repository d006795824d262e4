namespace Gateway.Coap.Transport;

/// <summary>
/// When a receive thread polls its socket instead of sleeping in it. A sleeping thread is woken by the kernel for its
/// next datagram, which costs tens of microseconds (the scheduler's wake-up, a halted core's return) on every request
/// of a client that waits for each answer; a thread that polls sees the datagram at once. Polling is worth it only when
/// the next datagram is due soon, so the thread polls for at most the budget, and only when
/// <list type="bullet">
/// <item>its last datagram came within the budget: under sparse traffic it always sleeps, and when dense traffic stops
/// it spends one budget at most;</item>
/// <item>it answered since then: a client waiting for that answer sends its next request a round trip later. Requests
/// answered elsewhere (a durable write answers after its commit, on the writer's side) bring nothing new until that
/// happens, and polling would take the core the commit needs.</item>
/// </list>
/// <para>The same trade as Linux's <c>net.core.busy_read</c>, which loopback and UDP sockets without NAPI do not get.</para>
/// </summary>
/// <param name="budget">the longest poll, in the ticks of the clock the caller measures with; 0 = never poll.</param>
public sealed class BusyPoll(long budget)
{
    private bool _lastWasSoon, _answered;

    public long Budget { get; } = budget >= 0 ? budget : throw new ArgumentOutOfRangeException(nameof(budget));

    /// <summary>Whether a thread that has waited <paramref name="waited"/> ticks so far should poll once more rather than sleep.</summary>
    public bool Polls(long waited) => _lastWasSoon && _answered && waited < Budget;

    /// <summary>A datagram came after <paramref name="waited"/> ticks of waiting (polling and sleeping together).</summary>
    public void Arrived(long waited)
    {
        _lastWasSoon = Budget > 0 && waited <= Budget;
        _answered = false;
    }

    /// <summary>The thread sent an answer to what it received.</summary>
    public void Answered() => _answered = true;
}
