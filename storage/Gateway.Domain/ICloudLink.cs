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

    /// <summary>
    /// Forwards a device's client-side RPC to the cloud and waits for the rule chain's reply. The gateway
    /// API has no client-side RPC for sub-devices (thingsboard.md §4.2), so the request goes out as the
    /// gateway's <em>own</em> client-side RPC (§4.1): published on <c>v1/devices/me/rpc/request/{n}</c> as
    /// <c>{"method":"<paramref name="method"/>","params":{"device":"<paramref name="device"/>","params":<paramref name="parameters"/>}}</c>
    /// and answered on <c>v1/devices/me/rpc/response/{n}</c>. The device name is nested inside
    /// <c>params</c> because ThingsBoard keeps only <c>method</c> and <c>params</c> of the request (its
    /// converter builds <c>ToServerRpcRequestMsg(method, params)</c>; a top-level field would be lost):
    /// a rule chain routes on <c>msg.method</c> and <c>msg.params.device</c>, and finds the device's own
    /// params, unchanged (null when it sent none), in <c>msg.params.params</c>.
    /// Returns the reply JSON as the cloud sent it, or null when the link is down, the request could not be
    /// published, or no reply came before <paramref name="cancellationToken"/>.
    /// </summary>
    Task<JsonNode?> CallRpcAsync(string device, string method, JsonNode? parameters, CancellationToken cancellationToken);
}
