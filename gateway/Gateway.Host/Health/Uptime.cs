namespace Gateway.Host.Health;

/// <summary>When this service process started, on the wall clock (for display) and monotonic (for the uptime figure).</summary>
public sealed class Uptime(TimeProvider time)
{
    private readonly long _started = time.GetTimestamp();

    public DateTimeOffset StartedAt { get; } = time.GetUtcNow();

    public TimeSpan Elapsed => time.GetElapsedTime(_started);
}
