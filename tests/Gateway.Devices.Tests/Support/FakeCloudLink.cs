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
}
