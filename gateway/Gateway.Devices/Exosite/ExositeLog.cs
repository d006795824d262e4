using Microsoft.Extensions.Logging;

namespace Gateway.Devices.Exosite;

/// <summary>
/// Log events of the Exosite API (event ids 350–399). Never pass a CIK, a query or a request path
/// (reliability.md §2.4: the CIK travels in the Uri-Query): devices are named, sources are addresses.
/// </summary>
internal static partial class ExositeLog
{
    [LoggerMessage(EventId = 350, Level = LogLevel.Debug, Message = "Unknown or malformed CIK from {Source}")]
    public static partial void AuthFailed(ILogger logger, string source);

    [LoggerMessage(EventId = 351, Level = LogLevel.Warning, Message = "Too many unknown CIKs from {Source}: no answers and no lookups for it for a while")]
    public static partial void SourceSilenced(ILogger logger, string source);

    [LoggerMessage(EventId = 352, Level = LogLevel.Debug, Message = "Device {Device} may not access alias {Alias}")]
    public static partial void AliasForbidden(ILogger logger, string device, string alias);

    [LoggerMessage(EventId = 353, Level = LogLevel.Debug, Message = "Device {Device} wrote {Alias} again within {Interval}: rejected")]
    public static partial void WriteTooFast(ILogger logger, string device, string alias, TimeSpan interval);

    [LoggerMessage(EventId = 354, Level = LogLevel.Warning, Message = "Storage refused dataport write of {Device} ({Reason}); device told to retry after {RetryAfter}")]
    public static partial void WriteRefused(ILogger logger, string device, string reason, TimeSpan retryAfter);

    [LoggerMessage(EventId = 355, Level = LogLevel.Information, Message = "Exosite device {Device} activated ({Vendor}/{Model})")]
    public static partial void Activated(ILogger logger, string device, string vendor, string model);

    [LoggerMessage(EventId = 356, Level = LogLevel.Debug, Message = "Activation refused: no device awaits activation as {Vendor}/{Model}")]
    public static partial void ActivationRefused(ILogger logger, string vendor, string model);

    [LoggerMessage(EventId = 357, Level = LogLevel.Debug, Message = "Rejected {Operation} payload of {Device}: {Reason}")]
    public static partial void PayloadRejected(ILogger logger, string device, string operation, string reason);

    [LoggerMessage(EventId = 358, Level = LogLevel.Debug, Message = "Cloud set dataport {Alias} of {Device}")]
    public static partial void CloudWrote(ILogger logger, string device, string alias);

    [LoggerMessage(EventId = 359, Level = LogLevel.Debug, Message = "RPC call {Procedure} of {Device} not supported: answered 501")]
    public static partial void RpcUnsupported(ILogger logger, string device, string procedure);

    [LoggerMessage(EventId = 360, Level = LogLevel.Warning, Message = "Applying cloud attributes of {Device} to its dataports failed")]
    public static partial void CloudWriteFailed(ILogger logger, Exception exception, string device);

    [LoggerMessage(EventId = 361, Level = LogLevel.Debug, Message = "Observe refresh of {Alias} for {Device}: {Outcome}")]
    public static partial void Refreshed(ILogger logger, string device, string alias, string outcome);
}
