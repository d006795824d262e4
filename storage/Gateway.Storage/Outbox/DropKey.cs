namespace Gateway.Storage.Outbox;

/// <summary>Counter key of dropped rows: which kind, for which reason.</summary>
public readonly record struct DropKey(OutboxMessageKind Kind, DropReason Reason);
