using Gateway.Host.Storage;

namespace Gateway.Host.Health;

/// <summary>Storage is alive when the outbox answers a stats query (it takes the same gate as its writer), which also refreshes the metrics snapshot.</summary>
public sealed class StorageLivenessProbe(OutboxStatsSampler stats) : ILivenessProbe
{
    public string Name => "storage";

    public async ValueTask<LivenessResult> CheckAsync(CancellationToken cancellationToken)
    {
        var figures = await stats.RefreshAsync(TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
        return LivenessResult.Ok($"queue {figures.Depth} rows");
    }
}
