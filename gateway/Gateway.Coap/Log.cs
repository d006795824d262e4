using Microsoft.Extensions.Logging;

namespace Gateway.Coap;

/// <summary>Source-generated log messages of the CoAP stack, with fixed event ids (1xx).</summary>
internal static partial class Log
{
    [LoggerMessage(100, LogLevel.Information, "CoAP endpoint listening on {LocalEndPoint} with {Threads} receive thread(s)")]
    public static partial void Listening(ILogger logger, System.Net.EndPoint localEndPoint, int threads);

    [LoggerMessage(101, LogLevel.Debug, "Dropped datagram from {Peer}: {Reason} ({Action})")]
    public static partial void Rejected(ILogger logger, string peer, string reason, Codec.CoapRejectAction action);

    [LoggerMessage(102, LogLevel.Error, "Request handler failed for {Request}")]
    public static partial void HandlerFailed(ILogger logger, Exception exception, string request);

    [LoggerMessage(103, LogLevel.Error, "Unexpected error processing a datagram from {Peer}; the receive loop continues")]
    public static partial void ProcessingFailed(ILogger logger, Exception exception, string peer);

    [LoggerMessage(104, LogLevel.Debug, "Separate response to {Peer} ended: {Outcome}")]
    public static partial void SeparateResponseEnded(ILogger logger, string peer, Reliability.ConfirmableOutcome outcome);

    [LoggerMessage(105, LogLevel.Warning, "Deduplication table full (capacity {Capacity}): {Evicted} entries evicted before EXCHANGE_LIFETIME since the last warning; raise Coap:DeduplicationCapacity if retransmissions may be missed")]
    public static partial void DeduplicationFull(ILogger logger, int capacity, long evicted);

    [LoggerMessage(106, LogLevel.Error, "Observe callback or notification composition failed for {Relation}")]
    public static partial void ObserveCallbackFailed(ILogger logger, Exception exception, string relation);

    [LoggerMessage(107, LogLevel.Debug, "Observe relation {Relation} removed: {Reason}")]
    public static partial void RelationRemoved(ILogger logger, string relation, Observe.ObserveRemovalReason reason);

    [LoggerMessage(108, LogLevel.Debug, "Observe relation {Relation} replaced by a newer registration from another address; sent it {Code} without Observe")]
    public static partial void ObserverReplaced(ILogger logger, string relation, string code);

    [LoggerMessage(109, LogLevel.Debug, "Ignored a datagram to All-CoAP-Nodes from {Peer}: {Decision} (RFC 7252 §8)")]
    public static partial void MulticastIgnored(ILogger logger, string peer, Multicast.MulticastDecision decision);

    [LoggerMessage(110, LogLevel.Information, "Joined All-CoAP-Nodes {Group} on {Interface}, port {Port}")]
    public static partial void MulticastJoined(ILogger logger, string group, string @interface, int port);

    [LoggerMessage(111, LogLevel.Warning, "Cannot join All-CoAP-Nodes {Group} on {Interface}: {Reason}")]
    public static partial void MulticastJoinFailed(ILogger logger, string group, string @interface, string reason);

    [LoggerMessage(112, LogLevel.Error, "Answering a request from {Peer} failed; the exchange is dropped and the endpoint continues")]
    public static partial void ExchangeFailed(ILogger logger, Exception exception, string peer);
}
