using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Gateway.Domain;

namespace Gateway.Devices.Tests.Support;

/// <summary>A cloud link whose answers the test scripts; records every request.</summary>
public sealed class FakeCloudLink : ICloudLink
{
    public bool IsConnected { get; set; }

    public Func<string, bool, IReadOnlyList<string>, JsonObject?> Answer { get; set; } = (_, _, _) => [];

    /// <summary>When set, requests never complete until cancelled (a silent cloud).</summary>
    public bool Hang { get; set; }

    public ConcurrentQueue<(string Device, bool Client, string Keys)> Requests { get; } = new();

    public async Task<JsonObject?> RequestAttributesAsync(string device, bool client, IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        Requests.Enqueue((device, client, string.Join(',', keys)));
        if (Hang)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        return Answer(device, client, keys);
    }

    /// <summary>The cloud's reply to a forwarded client-side RPC (device, method, params); null = no answer.</summary>
    public Func<string, string, JsonNode?, JsonNode?> RpcAnswer { get; set; } = (_, _, _) => null;

    /// <summary>Every forwarded client-side RPC as "device method params-json".</summary>
    public ConcurrentQueue<string> Rpcs { get; } = new();

    public async Task<JsonNode?> CallRpcAsync(string device, string method, JsonNode? parameters, CancellationToken cancellationToken)
    {
        Rpcs.Enqueue($"{device} {method} {parameters?.ToJsonString() ?? "null"}");
        if (!IsConnected) return null; // the real link's contract: null at once while down
        if (Hang)
        {
            // As the real link: cancellation by the caller's bound is answered with null, not an exception.
            try { await Task.Delay(Timeout.Infinite, cancellationToken); }
            catch (OperationCanceledException) { return null; }
        }
        return RpcAnswer(device, method, parameters);
    }
}
