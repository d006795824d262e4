namespace Gateway.Storage.Outbox;

/// <summary>One message for the cloud, as the device layer hands it to the outbox.</summary>
/// <param name="Device">Device name as the cloud knows it.</param>
/// <param name="Kind">What the payload is.</param>
/// <param name="Payload">Body to forward, already normalised by the device layer.</param>
public readonly record struct OutboxMessage(string Device, OutboxMessageKind Kind, ReadOnlyMemory<byte> Payload)
{
    /// <summary>CoAP Content-Format number of <see cref="Payload"/> (50 = application/json).</summary>
    public int ContentFormat { get; init; } = 50;

    /// <summary>Wall-clock time the gateway received the data (informational; may be wrong before NTP sync).</summary>
    public DateTimeOffset ReceivedAt { get; init; }

    /// <summary>Whether the wall clock was known to be synchronised when <see cref="ReceivedAt"/> was taken.</summary>
    public bool ClockSynced { get; init; }

    /// <summary>
    /// For <see cref="OutboxMessageKind.ClientAttributes"/>: the attribute keys the payload sets.
    /// Compaction removes a row only when every one of its keys is set again by a later row of the
    /// same device; a row without keys is never compacted. Not returned by leases.
    /// </summary>
    public IReadOnlyList<string> AttributeKeys { get; init; } = [];

    /// <summary>
    /// True when what the caller does after the enqueue completes is short and never blocks (e.g. sending a
    /// CoAP answer): it then runs on the outbox's writer as it completes the committed batch, before its next
    /// commit, saving a pool hop per message. Leave false for a caller that goes on to write elsewhere (it would
    /// hold up the batch's others and the next commit).
    /// </summary>
    public bool ContinuesBriefly { get; init; }
}
