namespace Gateway.Bench.Coap;

/// <summary>
/// One request in flight (closed loop: its response, or giving up, issues the next). Holds its
/// own copy of the request bytes, so only the MID and the token's sequence half are patched per
/// request and retransmission resends the buffer unchanged.
/// </summary>
internal sealed class LoadSlot(byte[] request, int[] ring)
{
    public readonly byte[] Request = request;
    /// <summary>Endpoint ids this slot rotates over (one normally; M/N with rotation).</summary>
    public readonly int[] Ring = ring;
    public int RingPosition = -1;
    public int EndpointId = -1;
    public bool Active;
    public bool Acked;          // an empty ACK arrived: the response will come separately
    public ushort Mid;
    public uint Sequence;
    public int Retries;
    public long SentAt;         // Stopwatch ticks of the first transmission
    public long Timeout;        // current retransmission timeout, ticks
    public long Deadline;       // ticks
}
