namespace Gateway.Host.Health;

/// <summary>
/// One loop the watchdog and <c>/healthz</c> depend on. The systemd watchdog is fed only while
/// every registered probe passes, so a hung loop becomes a restart. Register with
/// <see cref="HealthHostingExtensions.AddLivenessProbe"/>; the bridge's forwarder does so with a
/// <see cref="ProgressProbe"/> over a counter its loop bumps on every iteration.
/// </summary>
public interface ILivenessProbe
{
    /// <summary>Short name for logs and <c>/healthz</c> ("coap", "storage", "forwarder").</summary>
    string Name { get; }

    /// <summary>Whether the loop made progress; must finish within <paramref name="cancellationToken"/> (a timeout counts as a failure).</summary>
    ValueTask<LivenessResult> CheckAsync(CancellationToken cancellationToken);
}
