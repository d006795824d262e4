using Microsoft.Extensions.Logging;

namespace Gateway.Devices.Http;

/// <summary>
/// Log events of the HTTP device API (event ids 600–649). Never pass a token or a request path here: the
/// token is a path segment (thingsboard.md §3). Devices are named, sources are addresses, features are route names.
/// </summary>
internal static partial class HttpApiLog
{
    [LoggerMessage(EventId = 600, Level = LogLevel.Warning, Message = "Long poll of {Device} refused: {Reason}")]
    public static partial void LongPollRefused(ILogger logger, string device, string reason);

    [LoggerMessage(EventId = 601, Level = LogLevel.Debug, Message = "{Feature} request from {Source} timed out ({Stage})")]
    public static partial void RequestTimedOut(ILogger logger, string feature, string source, string stage);

    [LoggerMessage(EventId = 602, Level = LogLevel.Error, Message = "{Feature} request from {Source} failed")]
    public static partial void RequestFailed(ILogger logger, string feature, string source, Exception exception);

    [LoggerMessage(EventId = 603, Level = LogLevel.Debug, Message = "RPC {RequestId} delivered to {Device} by long poll")]
    public static partial void RpcDelivered(ILogger logger, string device, long requestId);

    [LoggerMessage(EventId = 604, Level = LogLevel.Information, Message = "RPC {RequestId} to {Device}: the long poll went away before the answer was written; queued again")]
    public static partial void RpcReleased(ILogger logger, string device, long requestId);

    [LoggerMessage(EventId = 605, Level = LogLevel.Debug, Message = "{Feature} body from {Source} over the {Limit}-byte limit: 413")]
    public static partial void PayloadTooLarge(ILogger logger, string feature, string source, int limit);

    [LoggerMessage(EventId = 606, Level = LogLevel.Warning, Message = "{PackageType} package changed while being sent; connection aborted")]
    public static partial void OtaTruncated(ILogger logger, string packageType);
}
