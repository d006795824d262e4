namespace Gateway.Host.Health;

/// <summary>The result of running every <see cref="ILivenessProbe"/> once.</summary>
public sealed record HealthReport(DateTimeOffset CheckedAt, IReadOnlyList<ProbeOutcome> Probes)
{
    public bool Alive => Probes.All(p => p.Alive);
}
