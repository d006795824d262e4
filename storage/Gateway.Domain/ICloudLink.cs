using System.Text.Json.Nodes;

namespace Gateway.Domain;

/// <summary>
/// The port through which a device request asks the cloud and waits (implemented by the bridge).
/// Everything fire-and-forget goes through the outbox instead; this is only for the few device
/// requests that need the cloud's answer now, and callers must have an offline answer ready.
/// </summary>
public interface ICloudLink
{
    /// <summary>True while the MQTT session is up and the gateway could publish now.</summary>
    bool IsConnected { get; }

    /// <summary>
    /// Asks for attribute values of one scope (<c>v1/gateway/attributes/request</c>) and waits for
    /// the response. Returns the values found (possibly empty), or null when the cloud did not
    /// answer before <paramref name="cancellationToken"/> or the link is down.
    /// </summary>
    Task<JsonObject?> RequestAttributesAsync(string device, bool client, IReadOnlyList<string> keys, CancellationToken cancellationToken);
}
