using Gateway.Storage.Outbox;

namespace Gateway.Bridge.Forwarding;

/// <summary>A leased batch turned into PUBLISHes (in send order) plus the rows that cannot be sent at all.</summary>
internal sealed record PackedBatch(IReadOnlyList<OutgoingMessage> Messages, IReadOnlyList<(OutboxEntry Row, string Reason)> Rejected);
