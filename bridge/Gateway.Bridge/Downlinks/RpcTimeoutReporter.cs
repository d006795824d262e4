using System.Text.Json.Nodes;
using Gateway.Domain;
using Gateway.Storage.Downlinks;
using Gateway.Storage.Outbox;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Bridge.Downlinks;

/// <summary>
/// Turns RPCs that expired in the downlink queue into replies <c>{"device","id","data":{"error":"timeout"}}</c>
/// on <c>v1/gateway/rpc</c> (issue 6: "RPC replies and timeouts back with the same id"). They go
/// through the outbox like every reply, so they survive an outage. The host's storage sweep calls
/// <see cref="ReportAsync"/> with what <see cref="IDownlinkQueue.ExpireAsync"/> returned.
/// </summary>
public sealed class RpcTimeoutReporter(IOutbox outbox, ILogger<RpcTimeoutReporter>? logger = null)
{
    private readonly ILogger _logger = logger ?? (ILogger)NullLogger.Instance;

    public async Task ReportAsync(IReadOnlyList<Downlink> expired, CancellationToken cancellationToken)
    {
        int count = 0;
        foreach (var rpc in expired.Where(d => d.Kind == Gateway.Storage.Downlinks.DownlinkKind.RpcRequest && d.RequestId is not null))
        {
            var payload = UplinkPayloads.RpcReply(rpc.RequestId!.Value, new JsonObject { ["error"] = "timeout" });
            await outbox.EnqueueAsync(new OutboxMessage(rpc.Device, OutboxMessageKind.RpcReply, payload), cancellationToken: cancellationToken).ConfigureAwait(false);
            count++;
        }
        if (count > 0) BridgeLog.RpcTimeoutsReported(_logger, count);
    }
}
