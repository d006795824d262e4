namespace Gateway.Storage.Outbox;

/// <summary>A row in the dead-letter table, as <c>coap-gateway dead-letter list</c> shows it.</summary>
/// <param name="Id">Its outbox id, kept: a retry puts it back at this place in id order.</param>
/// <param name="Attempts">Times it was leased before it was moved.</param>
/// <param name="Reason">The forwarder's words (PUBACK reason code, validation problem, connection losses).</param>
/// <param name="RetryMarked">Marked for retry, waiting for the service to move it back.</param>
public sealed record DeadLetter(
    long Id,
    string Device,
    OutboxMessageKind Kind,
    int PayloadBytes,
    DateTimeOffset ReceivedAt,
    int Attempts,
    string Cause,
    string Reason,
    DateTimeOffset DeadAt,
    bool RetryMarked);
