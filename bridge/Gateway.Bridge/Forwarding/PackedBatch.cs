using Gateway.Storage.Outbox;

namespace Gateway.Bridge.Forwarding;

/// <summary>
/// A leased batch turned into PUBLISHes (in send order) plus the rows that cannot be sent at all: those
/// <see cref="RowValidator"/> refuses and those too large for one PUBLISH alone, kept apart so each is
/// dead-lettered with its own cause.
/// </summary>
internal sealed record PackedBatch(
    IReadOnlyList<OutgoingMessage> Messages,
    IReadOnlyList<(OutboxEntry Row, string Reason)> Invalid,
    IReadOnlyList<(OutboxEntry Row, string Reason)> TooLarge)
{
    public IEnumerable<(OutboxEntry Row, string Reason)> Rejected => Invalid.Concat(TooLarge);
}
