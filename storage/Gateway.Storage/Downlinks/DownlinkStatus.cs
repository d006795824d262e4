namespace Gateway.Storage.Downlinks;

/// <summary>Where a downlink is in its life. Stored as its number.</summary>
public enum DownlinkStatus
{
    /// <summary>Waiting for the device's next contact or notification.</summary>
    Pending = 1,

    /// <summary>Sent to the device; an RPC waits for its reply.</summary>
    Delivered = 2,

    /// <summary>Answered (RPC) or acknowledged; removed by the next expiry sweep.</summary>
    Completed = 3,

    /// <summary>Its TTL ran out before completion; the cloud may be told of the timeout.</summary>
    Expired = 4,
}
