namespace Gateway.Bridge.Firmware;

/// <summary>How a firmware download ended; the label of <c>firmware.downloads</c> in /metrics.</summary>
public enum FirmwareOutcome
{
    /// <summary>Downloaded, checksum verified, stored; the device got the attributes.</summary>
    Verified,

    /// <summary>The image's checksum is not <c>fw_checksum</c>: deleted, never exposed.</summary>
    ChecksumMismatch,

    /// <summary>Larger than <c>Firmware:MaxDownloadBytes</c> or than <c>fw_size</c>.</summary>
    SizeExceeded,

    /// <summary>Complete, but not <c>fw_size</c> bytes long.</summary>
    SizeMismatch,

    /// <summary>A package that cannot be fetched: bad URL, HTTP error, no checksum, attempts used up.</summary>
    Failed,
}
