using Microsoft.Extensions.Logging;

namespace Gateway.Bridge;

/// <summary>Source-generated log methods of the bridge; event ids 400–499 are fixed, greppable in the journal.</summary>
internal static partial class BridgeLog
{
    [LoggerMessage(400, LogLevel.Information, "ThingsBoard bridge starting: {Endpoint}, {Devices} known devices, batch {BatchSize}, {MaxInFlight} in flight, pacing {RowsPerSecond} rows/s and {MessagesPerSecond} msg/s (0 = none)")]
    public static partial void Starting(ILogger logger, string endpoint, int devices, int batchSize, int maxInFlight, double rowsPerSecond, double messagesPerSecond);

    [LoggerMessage(401, LogLevel.Warning, "Mqtt:Host is empty: buffering only, nothing is forwarded until it is set")]
    public static partial void BufferOnly(ILogger logger);

    [LoggerMessage(402, LogLevel.Information, "Cloud link up (connect #{ConnectCount}); announcing {Devices} active devices before any new data")]
    public static partial void LinkUp(ILogger logger, int connectCount, int devices);

    [LoggerMessage(403, LogLevel.Warning, "Cloud link down: {Reason}; rows stay in the outbox")]
    public static partial void LinkDown(ILogger logger, string reason);

    [LoggerMessage(404, LogLevel.Information, "Announced {Devices} devices on v1/gateway/connect ({Failures} refused)")]
    public static partial void Announced(ILogger logger, int devices, int failures);

    [LoggerMessage(405, LogLevel.Warning, "v1/gateway/{Action} for device '{Device}' refused: {Reason}")]
    public static partial void DeviceMessageRefused(ILogger logger, string action, string device, string reason);

    [LoggerMessage(406, LogLevel.Warning, "PUBLISH on {Topic} with {Rows} rows refused ({ReasonCode} {ReasonString}); bisecting to find the bad rows")]
    public static partial void Bisecting(ILogger logger, string topic, int rows, string reasonCode, string? reasonString);

    [LoggerMessage(407, LogLevel.Error, "Dead-lettered {Rows} rows (first id {FirstId}, device '{Device}'): {Reason}")]
    public static partial void DeadLettered(ILogger logger, int rows, long firstId, string device, string reason);

    [LoggerMessage(409, LogLevel.Warning, "Forwarding paused: {Reason}; {Released} rows released, retrying in {Delay}")]
    public static partial void RetryLater(ILogger logger, string reason, int released, TimeSpan delay);

    [LoggerMessage(410, LogLevel.Error, "Forwarder loop failed; retrying in {Delay}")]
    public static partial void ForwarderFailed(ILogger logger, Exception exception, TimeSpan delay);

    [LoggerMessage(411, LogLevel.Information, "Device '{Device}' disconnected from the cloud: {Why}")]
    public static partial void DeviceDisconnected(ILogger logger, string device, string why);

    [LoggerMessage(413, LogLevel.Warning, "Downlink on {Topic} for unknown device '{Device}' ignored (further ones for it are only counted)")]
    public static partial void UnknownDevice(ILogger logger, string topic, string device);

    [LoggerMessage(414, LogLevel.Warning, "Malformed downlink on {Topic} ignored: {Problem}")]
    public static partial void MalformedDownlink(ILogger logger, string topic, string problem);

    [LoggerMessage(415, LogLevel.Warning, "The cloud disconnected device '{Device}' (reason {Reason}); it is announced again")]
    public static partial void CloudDisconnected(ILogger logger, string device, int reason);

    [LoggerMessage(416, LogLevel.Debug, "RPC {Id} '{Method}' queued for device '{Device}' (TTL {Ttl})")]
    public static partial void RpcQueued(ILogger logger, long id, string method, string device, TimeSpan ttl);

    [LoggerMessage(417, LogLevel.Debug, "Shared attributes of device '{Device}': {Set} set, {Deleted} deleted")]
    public static partial void AttributesUpdated(ILogger logger, string device, int set, int deleted);

    [LoggerMessage(418, LogLevel.Error, "Handling a downlink on {Topic} failed; the router continues")]
    public static partial void DownlinkFailed(ILogger logger, Exception exception, string topic);

    [LoggerMessage(419, LogLevel.Debug, "Attribute response {Id} matches no pending request (late, or already answered)")]
    public static partial void AttributeResponseUnmatched(ILogger logger, long id);

    [LoggerMessage(420, LogLevel.Warning, "Attribute request for '{Device}' answered offline: {Pending} requests already waiting for the cloud")]
    public static partial void AttributeRequestsFull(ILogger logger, string device, int pending);

    [LoggerMessage(422, LogLevel.Information, "ThingsBoard bridge stopped")]
    public static partial void Stopped(ILogger logger);

    [LoggerMessage(423, LogLevel.Error, "Downlink router failed; restarting it in {Delay}")]
    public static partial void RouterFailed(ILogger logger, Exception exception, TimeSpan delay);

    [LoggerMessage(424, LogLevel.Warning, "SUBSCRIBE to the gateway downlink topics was refused: {Codes}; downlinks will not arrive")]
    public static partial void SubscribeRefused(ILogger logger, string codes);

    [LoggerMessage(425, LogLevel.Debug, "Client-side RPC reply {Id} matches no pending request (late, or already answered)")]
    public static partial void ClientRpcReplyUnmatched(ILogger logger, long id);

    [LoggerMessage(426, LogLevel.Warning, "Client-side RPC '{Method}' of '{Device}' not forwarded: {Pending} already waiting for the cloud")]
    public static partial void ClientRpcsFull(ILogger logger, string device, string method, int pending);

    [LoggerMessage(427, LogLevel.Information, "Service RPC {Id} '{Method}' to the gateway device")]
    public static partial void ServiceRpc(ILogger logger, long id, string method);

    [LoggerMessage(428, LogLevel.Warning, "The reply to service RPC {Id} was refused: {Reason}")]
    public static partial void ServiceRpcReplyRefused(ILogger logger, long id, string reason);

    [LoggerMessage(429, LogLevel.Warning, "gateway_restart: the gateway stops in {Delay} for systemd to start it again")]
    public static partial void RestartScheduled(ILogger logger, TimeSpan delay);

    [LoggerMessage(430, LogLevel.Information, "Device '{Device}' renamed in the cloud from '{OldName}' to '{NewName}'; its rows, also those queued, go up under the new name")]
    public static partial void DeviceRenamed(ILogger logger, string device, string oldName, string newName);

    [LoggerMessage(431, LogLevel.Warning, "Device '{Device}' was deleted in the cloud (as '{CloudName}'); announced again so its downlinks resume")]
    public static partial void DeviceDeletedInCloud(ILogger logger, string device, string cloudName);

    [LoggerMessage(432, LogLevel.Debug, "Own client-side RPC request {Id} came back from the broker (MQTT 3.1.1 has no No Local); ignored")]
    public static partial void OwnRequestEchoIgnored(ILogger logger, long id);

    [LoggerMessage(445, LogLevel.Warning, "The MQTT connection was lost right after sending the same message again: the batch in flight is withdrawn and its rows are sent one at a time to find a row the broker refuses")]
    public static partial void SuspectWithdrawn(ILogger logger);

    [LoggerMessage(446, LogLevel.Information, "ThingsBoard session limits in force: {Limits}")]
    public static partial void SessionLimits(ILogger logger, string limits);

    [LoggerMessage(447, LogLevel.Information, "getSessionLimits not answered ({Outcome}); the session is not paced by cloud limits (Bridge:DrainRowsPerSecond still applies)")]
    public static partial void SessionLimitsUnanswered(ILogger logger, string outcome);

    [LoggerMessage(448, LogLevel.Warning, "getSessionLimits answer ignored, the limits stay as they were: {Problem}")]
    public static partial void SessionLimitsUnreadable(ILogger logger, string problem);
}
