using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Host.Health;

/// <summary>
/// Runs every registered <see cref="ILivenessProbe"/> with a time limit and keeps the latest
/// report for <c>/healthz</c>. Only <see cref="HealthLoopService"/> calls <see cref="CheckAsync"/>,
/// so probes see one check at a time.
/// </summary>
public sealed class HealthMonitor(IServiceProvider services, TimeProvider time)
{
    private IReadOnlyList<ILivenessProbe>? _probes;

    /// <summary>The last report; null before the first check.</summary>
    public HealthReport? Latest { get; private set; }

    public async Task<HealthReport> CheckAsync(TimeSpan limit, CancellationToken cancellationToken)
    {
        _probes ??= [.. services.GetServices<ILivenessProbe>()];
        var outcomes = new List<ProbeOutcome>(_probes.Count);
        foreach (var probe in _probes)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(limit);
            try
            {
                var result = await probe.CheckAsync(timeout.Token).ConfigureAwait(false);
                outcomes.Add(new ProbeOutcome(probe.Name, result.Alive, result.Detail));
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                outcomes.Add(new ProbeOutcome(probe.Name, false, $"no answer within {limit.TotalMilliseconds:0} ms"));
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                outcomes.Add(new ProbeOutcome(probe.Name, false, e.GetType().Name + ": " + e.Message.ReplaceLineEndings(" ")));
            }
        }
        var report = new HealthReport(time.GetUtcNow(), outcomes);
        Latest = report;
        return report;
    }
}
