namespace Gateway.Domain;

/// <summary>What changed for a device on the cloud side.</summary>
public enum DownlinkKind : byte
{
    /// <summary>Shared attributes were updated or deleted; <see cref="DownlinkEvent.Payload"/> is the flat update.</summary>
    SharedAttributes,
    /// <summary>A server-side RPC was queued for the device (it is in the storage downlink queue).</summary>
    Rpc,
}
