using Gateway.Domain;
using Gateway.Storage.Downlinks;
using Gateway.Storage.Outbox;
using Microsoft.Extensions.Logging;

namespace Gateway.Devices.ThingsBoard;

/// <summary>
/// Sweeps the downlink queue and reports every RPC whose TTL ran out unanswered (never delivered to a
/// sleeping device, or delivered and never replied to) upstream as a timeout: an RpcReply row
/// <c>{"id":n,"data":{"error":"timeout"}}</c>, published by the bridge as
/// <c>{"device":"…","id":n,"data":{"error":"timeout"}}</c> on <c>v1/gateway/rpc</c>. The host runs
/// <see cref="RunAsync"/> for the service's lifetime; this class is the queue's only expiry sweeper.
/// </summary>
public sealed class RpcExpiryReporter(IDownlinkQueue downlinks, IOutbox outbox, DeviceApiOptions options, TimeProvider time, ILogger<RpcExpiryReporter> logger)
{
    private static readonly System.Text.Json.Nodes.JsonObject TimeoutTemplate = new() { ["error"] = "timeout" };

    /// <summary>One sweep; returns the number of timeouts reported.</summary>
    public async Task<int> SweepOnceAsync(CancellationToken cancellationToken = default)
    {
        int reported = 0;
        foreach (var expired in await downlinks.ExpireAsync(cancellationToken).ConfigureAwait(false))
        {
            if (expired.Kind != Gateway.Storage.Downlinks.DownlinkKind.RpcRequest || expired.RequestId is not { } id) continue;
            var message = new OutboxMessage(expired.Device, OutboxMessageKind.RpcReply, UplinkPayloads.RpcReply(id, TimeoutTemplate.DeepClone()))
            {
                ReceivedAt = time.GetUtcNow(),
            };
            // A refusal loses only this report: ThingsBoard times the RPC out on its own at its expiration time.
            await outbox.EnqueueAsync(message, null, cancellationToken).ConfigureAwait(false);
            DevicesLog.RpcExpired(logger, expired.Device, id);
            reported++;
        }
        return reported;
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(options.RpcExpirySweep, time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                try
                {
                    await SweepOnceAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    DevicesLog.RpcSweepFailed(logger, e);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }
}
