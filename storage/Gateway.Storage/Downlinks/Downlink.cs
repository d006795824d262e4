namespace Gateway.Storage.Downlinks;

/// <summary>One queued downlink for a device.</summary>
/// <param name="Id">Queue id (increasing, never reused).</param>
/// <param name="Device">Target device name.</param>
/// <param name="Kind">RPC request or attribute update.</param>
/// <param name="RequestId">Cloud RPC id, for matching the device's reply; null for attribute updates.</param>
/// <param name="Payload">Body to hand to the device.</param>
/// <param name="Status">Current state.</param>
/// <param name="Created">When the gateway received it.</param>
/// <param name="Expires">Wall-clock deadline (ThingsBoard sends RPC expiry as an absolute time).</param>
public sealed record Downlink(
    long Id,
    string Device,
    DownlinkKind Kind,
    long? RequestId,
    ReadOnlyMemory<byte> Payload,
    DownlinkStatus Status,
    DateTimeOffset Created,
    DateTimeOffset Expires);
