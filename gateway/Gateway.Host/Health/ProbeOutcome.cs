namespace Gateway.Host.Health;

/// <summary>One probe's result in a <see cref="HealthReport"/>.</summary>
public sealed record ProbeOutcome(string Name, bool Alive, string Detail);
