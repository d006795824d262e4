namespace Gateway.Coap.Reliability;

/// <summary>
/// Message IDs for messages this endpoint originates: a random start, then sequential (RFC 7252
/// §4.4), so IDs are not reused within EXCHANGE_LIFETIME unless 65536 messages go to one peer.
/// </summary>
internal sealed class MessageIdSequence
{
    private int _next = (ushort)OsRandom.NextUInt32();

    public ushort Next() => (ushort)Interlocked.Increment(ref _next);
}
