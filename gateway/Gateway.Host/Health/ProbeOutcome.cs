using System.Text.Json.Nodes;

namespace Gateway.Host.Health;

/// <summary>One probe's result in a <see cref="HealthReport"/>.</summary>
public sealed record ProbeOutcome(string Name, bool Alive, string Detail)
{
    /// <summary>As <c>/healthz</c> and <c>status --json</c> show it.</summary>
    public JsonObject ToJson() => new() { ["name"] = Name, ["alive"] = Alive, ["detail"] = Detail };
}
