namespace Gateway.Storage.Outbox;

/// <summary>A leased outbox row: acknowledge, release or dead-letter it by <see cref="Id"/>.</summary>
/// <param name="Id">Queue position; ids grow in enqueue order and are never reused.</param>
/// <param name="Message">The stored message (without <see cref="OutboxMessage.AttributeKeys"/>).</param>
/// <param name="Attempts">How many times the row has been leased, this lease included.</param>
public sealed record OutboxEntry(long Id, OutboxMessage Message, int Attempts);
