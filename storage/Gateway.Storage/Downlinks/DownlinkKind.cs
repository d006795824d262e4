namespace Gateway.Storage.Downlinks;

/// <summary>What the cloud sent for a device. Stored as its number.</summary>
public enum DownlinkKind
{
    /// <summary>Server-side RPC request (ThingsBoard <c>v1/gateway/rpc</c>), answered by the device.</summary>
    RpcRequest = 1,

    /// <summary>Shared attribute update (ThingsBoard <c>v1/gateway/attributes</c>), no answer expected.</summary>
    AttributeUpdate = 2,
}
