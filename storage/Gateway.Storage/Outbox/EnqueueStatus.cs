namespace Gateway.Storage.Outbox;

/// <summary>Outcome of <see cref="IOutbox.EnqueueAsync"/>.</summary>
public enum EnqueueStatus
{
    /// <summary>The row (and its dedup record) is durably committed: answer 2.01/2.04.</summary>
    Committed,

    /// <summary>The (peer, MID) was seen before: nothing was written; replay the cached response.</summary>
    Duplicate,

    /// <summary>No room and nothing may be dropped: nothing was written; answer 5.03 with Max-Age.</summary>
    Refused,
}
