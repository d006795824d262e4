using Microsoft.Extensions.Logging;

namespace Gateway.Devices;

/// <summary>
/// Log events of the device APIs (event ids 300–399). Never pass a token, CIK or request path here
/// (reliability.md §2.4: credentials travel in the URI): devices are named, sources are addresses.
/// </summary>
internal static partial class DevicesLog
{
    [LoggerMessage(EventId = 300, Level = LogLevel.Debug, Message = "Unknown access token from {Source}")]
    public static partial void AuthFailed(ILogger logger, string source);

    [LoggerMessage(EventId = 301, Level = LogLevel.Warning, Message = "Too many unknown access tokens from {Source}: not answering it for a while")]
    public static partial void SourceSilenced(ILogger logger, string source);

    [LoggerMessage(EventId = 302, Level = LogLevel.Debug, Message = "Rejected {Feature} payload of {Device}: {Reason}")]
    public static partial void PayloadRejected(ILogger logger, string device, string feature, string reason);

    [LoggerMessage(EventId = 303, Level = LogLevel.Warning, Message = "Storage refused {Kind} of {Device} ({Reason}); device told to retry after {RetryAfter}")]
    public static partial void EnqueueRefused(ILogger logger, string device, string kind, string reason, TimeSpan retryAfter);

    [LoggerMessage(EventId = 304, Level = LogLevel.Information, Message = "Device {Device} ({Profile}) made first contact; connect queued for the cloud")]
    public static partial void DeviceConnected(ILogger logger, string device, string profile);

    [LoggerMessage(EventId = 305, Level = LogLevel.Debug, Message = "Cloud did not answer attribute request of {Device} in time; answering from the cache")]
    public static partial void CloudAttributesTimedOut(ILogger logger, string device);

    [LoggerMessage(EventId = 306, Level = LogLevel.Debug, Message = "RPC {RequestId} to {Device}: {Outcome}")]
    public static partial void RpcNotified(ILogger logger, string device, long requestId, string outcome);

    [LoggerMessage(EventId = 307, Level = LogLevel.Information, Message = "RPC {RequestId} to {Device} expired unanswered; timeout reported upstream")]
    public static partial void RpcExpired(ILogger logger, string device, long requestId);

    [LoggerMessage(EventId = 308, Level = LogLevel.Information, Message = "Provisioned device {Device} with profile {Profile}")]
    public static partial void Provisioned(ILogger logger, string device, string profile);

    [LoggerMessage(EventId = 309, Level = LogLevel.Information, Message = "Provisioning from {Source} refused: {Status}")]
    public static partial void ProvisionRefused(ILogger logger, string source, string status);

    [LoggerMessage(EventId = 310, Level = LogLevel.Debug, Message = "Attribute notification to {Device}: {Outcome}")]
    public static partial void AttributesNotified(ILogger logger, string device, string outcome);

    [LoggerMessage(EventId = 311, Level = LogLevel.Error, Message = "RPC expiry sweep failed")]
    public static partial void RpcSweepFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 312, Level = LogLevel.Warning, Message = "RPC delivery to {Device} failed")]
    public static partial void RpcDeliveryFailed(ILogger logger, string device, Exception exception);

    [LoggerMessage(EventId = 313, Level = LogLevel.Debug, Message = "Client-side RPC {Method} of {Device} got no cloud reply ({Outcome}); answered with an error")]
    public static partial void ClientRpcUnanswered(ILogger logger, string device, string method, string outcome);

    [LoggerMessage(EventId = 315, Level = LogLevel.Warning, Message = "Refused {Count} device requests in the last {Seconds} s: {Reason}; first from {Source}")]
    public static partial void RequestsRefused(ILogger logger, long count, double seconds, string reason, string source);

    [LoggerMessage(EventId = 362, Level = LogLevel.Warning, Message = "Forwarding client-side RPC {Method} of {Device} failed")]
    public static partial void ClientRpcFailed(ILogger logger, string device, string method, Exception exception);

    [LoggerMessage(EventId = 314, Level = LogLevel.Warning, Message = "Cloud attribute request for {Device} failed")]
    public static partial void CloudAttributesFailed(ILogger logger, string device, Exception exception);
}
