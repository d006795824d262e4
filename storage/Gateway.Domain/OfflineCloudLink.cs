using System.Text.Json.Nodes;

namespace Gateway.Domain;

/// <summary>The cloud link when no MQTT host is configured: never connected, never asks.</summary>
public sealed class OfflineCloudLink : ICloudLink
{
    public bool IsConnected => false;

    public Task<JsonObject?> RequestAttributesAsync(string device, bool client, IReadOnlyList<string> keys, CancellationToken cancellationToken) =>
        Task.FromResult<JsonObject?>(null);

    public Task<JsonNode?> CallRpcAsync(string device, string method, JsonNode? parameters, CancellationToken cancellationToken) =>
        Task.FromResult<JsonNode?>(null);
}
