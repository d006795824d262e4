using Microsoft.Extensions.Logging;

namespace Gateway.Bridge.Firmware;

/// <summary>Source-generated log methods of firmware downloads; event ids 450–469. URLs are logged without user info or query.</summary>
internal static partial class FirmwareLog
{
    [LoggerMessage(450, LogLevel.Information, "Firmware {Title} {Version} for '{Device}' assigned by URL {Url}: held back until downloaded and verified")]
    public static partial void Assigned(ILogger logger, string device, string title, string version, string url);

    [LoggerMessage(451, LogLevel.Warning, "Firmware assignment for '{Device}' ignored: {Problem}")]
    public static partial void BadAssignment(ILogger logger, string device, string problem);

    [LoggerMessage(452, LogLevel.Information, "Firmware {Title} {Version} for '{Device}' downloading (partial file has {Bytes} bytes)")]
    public static partial void Downloading(ILogger logger, string device, string title, string version, long bytes);

    [LoggerMessage(453, LogLevel.Warning, "Firmware {Title} {Version} for '{Device}': attempt {Attempt} failed ({Reason}); retrying in {Seconds:F1} s")]
    public static partial void Retrying(ILogger logger, string device, string title, string version, int attempt, string reason, double seconds);

    [LoggerMessage(454, LogLevel.Information, "Firmware {Title} {Version} for '{Device}' verified ({Algorithm}), stored as {Package} ({Bytes} bytes); attributes sent to the device")]
    public static partial void Verified(ILogger logger, string device, string title, string version, string algorithm, string package, long bytes);

    [LoggerMessage(455, LogLevel.Error, "Firmware {Title} {Version} for '{Device}' refused ({Outcome}): {Reason}; the device keeps its previous attributes")]
    public static partial void Refused(ILogger logger, string device, string title, string version, string outcome, string reason);

    [LoggerMessage(456, LogLevel.Information, "Firmware assignment for '{Device}' withdrawn by the cloud; its download is dropped")]
    public static partial void Withdrawn(ILogger logger, string device);

    [LoggerMessage(457, LogLevel.Error, "Firmware download loop failed; it restarts")]
    public static partial void LoopFailed(ILogger logger, Exception exception);

    [LoggerMessage(458, LogLevel.Warning, "Pending firmware record {Name} is unreadable and is dropped")]
    public static partial void BadPendingRecord(ILogger logger, string name);
}
