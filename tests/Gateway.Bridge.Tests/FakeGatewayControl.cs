using System.Text.Json.Nodes;
using Gateway.Bridge.Service;

namespace Gateway.Bridge.Tests;

/// <summary>The host's side of the service RPCs, recorded: fixed figures, restarts noted instead of done.</summary>
internal sealed class FakeGatewayControl : IGatewayControl
{
    public string Version => "9.8.7";

    public List<TimeSpan> Restarts { get; } = [];

    public Task<JsonObject> GetStatsAsync(CancellationToken cancellationToken) =>
        Task.FromResult(new JsonObject { ["queue_depth"] = 42, ["link"] = "up" });

    public void ScheduleRestart(TimeSpan delay)
    {
        lock (Restarts) Restarts.Add(delay);
    }
}
