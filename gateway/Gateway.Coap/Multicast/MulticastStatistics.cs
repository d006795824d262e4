namespace Gateway.Coap.Multicast;

/// <summary>Counters of the multicast side, each a reason a datagram to a group was or was not answered.</summary>
public sealed class MulticastStatistics
{
    internal long _received, _answered, _notRequest, _confirmable, _writes, _notDiscovery, _laterBlocks, _nothingToSay, _rateLimited, _pendingFull, _tooLarge;

    public long Received => Interlocked.Read(ref _received);
    public long Answered => Interlocked.Read(ref _answered);
    public long NotRequest => Interlocked.Read(ref _notRequest);
    public long Confirmable => Interlocked.Read(ref _confirmable);
    public long Writes => Interlocked.Read(ref _writes);
    public long NotDiscovery => Interlocked.Read(ref _notDiscovery);
    public long LaterBlocks => Interlocked.Read(ref _laterBlocks);
    public long NothingToSay => Interlocked.Read(ref _nothingToSay);
    public long RateLimited => Interlocked.Read(ref _rateLimited);
    public long PendingFull => Interlocked.Read(ref _pendingFull);
    public long TooLarge => Interlocked.Read(ref _tooLarge);

    internal void Count(MulticastDecision decision)
    {
        switch (decision)
        {
            case MulticastDecision.Confirmable: Interlocked.Increment(ref _confirmable); break;
            case MulticastDecision.Write: Interlocked.Increment(ref _writes); break;
            case MulticastDecision.NotDiscovery: Interlocked.Increment(ref _notDiscovery); break;
            case MulticastDecision.LaterBlock: Interlocked.Increment(ref _laterBlocks); break;
            default: Interlocked.Increment(ref _notRequest); break;
        }
    }
}
