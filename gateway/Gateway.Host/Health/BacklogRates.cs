namespace Gateway.Host.Health;

/// <summary>Where the backlog is heading (<see cref="BacklogTrend"/>).</summary>
/// <param name="DrainRowsPerSecond">Rows acknowledged by the cloud per second.</param>
/// <param name="NetRowsPerSecond">How fast the backlog shrinks (negative: it grows).</param>
/// <param name="EmptyIn">Estimated time until the backlog is empty, when it shrinks.</param>
public sealed record BacklogRates(double DrainRowsPerSecond, double NetRowsPerSecond, TimeSpan? EmptyIn);
