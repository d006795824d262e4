using System.Text.Json.Nodes;

namespace Gateway.Bridge.Service;

/// <summary>
/// What the service RPCs on the gateway device (<see cref="ServiceRpcs"/>) need from the process
/// around the bridge; implemented by the host, which alone knows the process and its figures.
/// </summary>
public interface IGatewayControl
{
    /// <summary>The product version (<c>gateway_version</c>).</summary>
    string Version { get; }

    /// <summary>The figures <c>coap-gateway status</c> shows (<c>gateway_stats</c>); no secrets.</summary>
    Task<JsonObject> GetStatsAsync(CancellationToken cancellationToken);

    /// <summary>Stops the process after <paramref name="delay"/> with an exit code that makes systemd start it again (<c>gateway_restart</c>).</summary>
    void ScheduleRestart(TimeSpan delay);
}
