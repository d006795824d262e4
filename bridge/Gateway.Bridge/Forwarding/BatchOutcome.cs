using Gateway.Storage.Outbox;

namespace Gateway.Bridge.Forwarding;

/// <summary>What became of a batch's rows: acknowledged, dead-lettered (with reason), or to be released and retried.</summary>
internal sealed class BatchOutcome
{
    public List<OutboxEntry> Delivered { get; } = [];
    public List<(OutboxEntry Row, string Reason)> DeadLetters { get; } = [];
    public List<OutboxEntry> Release { get; } = [];
    /// <summary>The first retryable failure, when one stopped the batch (the forwarder then backs off).</summary>
    public string? RetryReason { get; set; }
}
