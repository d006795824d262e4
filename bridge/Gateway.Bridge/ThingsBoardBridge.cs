using Gateway.Bridge.Devices;
using Gateway.Bridge.Downlinks;
using Gateway.Bridge.Forwarding;
using Gateway.Bridge.Limits;
using Gateway.Bridge.Logs;
using Gateway.Mqtt.Client;
using Gateway.Mqtt.Protocol;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Bridge;

/// <summary>
/// The bridge as one hosted service: loads the active devices, subscribes the downlink topics, starts
/// the MQTT client, and runs the <see cref="Forwarder"/>, <see cref="DownlinkRouter"/> and
/// <see cref="SessionLimitsReader"/> loops until
/// stop; either loop failing unexpectedly is logged and restarted (never dies silently, §5.5).
/// </summary>
public sealed class ThingsBoardBridge(
    MqttClient client,
    Forwarder forwarder,
    DownlinkRouter router,
    DeviceTracker tracker,
    BridgeOptions options,
    BridgeMetrics metrics,
    TimeProvider? time = null,
    ILogger<ThingsBoardBridge>? logger = null,
    CloudNames? names = null,
    SessionLimitsReader? limits = null,
    CloudLogShipper? logs = null) : BackgroundService
{
    private readonly ILogger _logger = logger ?? (ILogger)NullLogger.Instance;
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <summary>The downlink subscriptions (§4.2, §5.4); No Local keeps our own uplinks on the shared topics from coming back (v5).</summary>
    public static IReadOnlyList<MqttSubscription> Subscriptions(MqttProtocolVersion version)
    {
        bool v5 = version == MqttProtocolVersion.V500;
        var list = new List<MqttSubscription>
        {
            new() { TopicFilter = GatewayTopics.Attributes, NoLocal = v5 },
            new() { TopicFilter = GatewayTopics.Rpc, NoLocal = v5 },
            new() { TopicFilter = GatewayTopics.AttributeResponse },
            // Replies to the gateway's own client-side RPCs (§4.1), which carry the devices' forwarded calls.
            new() { TopicFilter = GatewayTopics.OwnRpcResponses },
            // Server-side RPCs to the gateway device itself (service commands, rename and delete notices, §4.5);
            // No Local keeps its own client-side requests on the same filter from coming back (v5; on 3.1.1 the
            // router recognises them).
            new() { TopicFilter = GatewayTopics.OwnRpcRequests, NoLocal = v5 },
            // The gateway device's own shared attributes (RemoteLoggingLevel), pushed and asked for after a connect.
            new() { TopicFilter = GatewayTopics.OwnAttributes, NoLocal = v5 },
            new() { TopicFilter = GatewayTopics.OwnAttributeResponses },
        };
        // cloud→gw disconnect exists on MQTT 5 only (§4.2).
        if (v5) list.Add(new() { TopicFilter = GatewayTopics.Disconnect, NoLocal = true });
        return list;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _ = metrics;  // created with the service so the instruments exist while it runs
        if (names is not null) await names.LoadAsync(stoppingToken).ConfigureAwait(false);
        await tracker.InitializeAsync(stoppingToken).ConfigureAwait(false);
        BridgeLog.Starting(_logger, "MQTT", tracker.ActiveCount, options.BatchSize, options.MaxInFlight, options.DrainRowsPerSecond, options.DrainMessagesPerSecond);
        var subscribed = await client.SubscribeAsync(Subscriptions(client.ProtocolVersion), stoppingToken).ConfigureAwait(false);
        if (!subscribed.Deferred && !subscribed.AllGranted) BridgeLog.SubscribeRefused(_logger, string.Join(",", subscribed.ReasonCodes));
        client.Start();
        try
        {
            var loops = new List<Task> { Supervise(forwarder.RunAsync, stoppingToken), Supervise(router.RunAsync, stoppingToken) };
            if (limits is not null) loops.Add(Supervise(limits.RunAsync, stoppingToken));
            if (logs is not null) loops.Add(Supervise(logs.RunAsync, stoppingToken));
            await Task.WhenAll(loops).ConfigureAwait(false);
        }
        finally
        {
            await client.StopAsync().ConfigureAwait(false);
            BridgeLog.Stopped(_logger);
        }
    }

    private async Task Supervise(Func<CancellationToken, Task> loop, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await loop(stop).ConfigureAwait(false);
                if (stop.IsCancellationRequested) return;
                await Task.Delay(TimeSpan.FromSeconds(1), _time, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                BridgeLog.RouterFailed(_logger, e, TimeSpan.FromSeconds(1));
                try { await Task.Delay(TimeSpan.FromSeconds(1), _time, stop).ConfigureAwait(false); }
                catch (OperationCanceledException) { return; }
            }
        }
    }
}
