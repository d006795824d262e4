using System.Diagnostics.Metrics;
using Gateway.Bridge.Limits;
using Gateway.Bridge.Logs;
using Gateway.Mqtt.Client;
using Gateway.Storage.Outbox;

namespace Gateway.Bridge;

/// <summary>
/// The bridge's figures as a <see cref="Meter"/> named <c>CoapGateway.Bridge</c>, all observable
/// (read from <see cref="BridgeStatus"/> and the client's counters when collected; nothing on the hot path).
/// </summary>
public sealed class BridgeMetrics : IDisposable
{
    public const string MeterName = "CoapGateway.Bridge";
    private readonly Meter _meter = new(MeterName);

    public BridgeMetrics(BridgeStatus status, MqttClient? client = null, SessionPacer? pacer = null, CloudLogProvider? logs = null, CloudLogShipper? shipper = null)
    {
        if (logs is not null && shipper is not null)
            _meter.CreateObservableCounter("bridge.remote_logs", () => new[]
            {
                new Measurement<long>(shipper.Sent, new KeyValuePair<string, object?>("outcome", "sent")),
                new Measurement<long>(logs.Dropped, new KeyValuePair<string, object?>("outcome", "dropped")),
            }, description: "Warnings and errors for the gateway device's telemetry (RemoteLoggingLevel), sent and dropped (queue full, link down, refused)");
        _meter.CreateObservableGauge("bridge.connected", () => status.Connected ? 1 : 0, description: "1 while the MQTT session is up");
        _meter.CreateObservableCounter("bridge.publishes", () => status.Snapshot().Publishes, description: "PUBLISHes started by the forwarder");
        _meter.CreateObservableCounter("bridge.rows_forwarded", () => status.Snapshot().RowsForwarded, description: "Outbox rows acknowledged by the cloud");
        _meter.CreateObservableCounter("bridge.dead_letters", () =>
        {
            var byCause = status.Snapshot().DeadLettersByCause;
            return Enum.GetValues<DeadLetterCause>().Select(c => new Measurement<long>(byCause.GetValueOrDefault(c), new KeyValuePair<string, object?>("reason", c.Name())));
        },
            description: "Rows moved to the dead-letter table, by reason");
        _meter.CreateObservableCounter("bridge.invalid_rows", () => status.Snapshot().InvalidRows, description: "Rows rejected before publishing (bad JSON or shape, too large)");
        _meter.CreateObservableCounter("bridge.puback_failures", () =>
            status.Snapshot().PubAckFailures.Select(p => new Measurement<long>(p.Value, new KeyValuePair<string, object?>("reason", $"0x{(byte)p.Key:X2}"))),
            description: "PUBACK failures by reason code");
        _meter.CreateObservableCounter("bridge.reconnects", () => status.Snapshot().Reconnects, description: "MQTT reconnects");
        _meter.CreateObservableGauge("bridge.drain_rows_per_second", () => status.RowsPerSecond, description: "Rows acknowledged per second recently");
        _meter.CreateObservableCounter("bridge.heartbeat", () => status.Heartbeat, description: "Forwarder loop turns (watchdog progress)");
        _meter.CreateObservableCounter("bridge.downlinks", () =>
        {
            var s = status.Snapshot();
            return new[]
            {
                new Measurement<long>(s.DownlinkAttributeUpdates, new KeyValuePair<string, object?>("kind", "attributes")),
                new Measurement<long>(s.DownlinkRpcs, new KeyValuePair<string, object?>("kind", "rpc")),
                new Measurement<long>(s.DownlinkUnknownDevice, new KeyValuePair<string, object?>("kind", "unknown_device")),
                new Measurement<long>(s.DownlinkMalformed, new KeyValuePair<string, object?>("kind", "malformed")),
                new Measurement<long>(s.CloudDisconnects, new KeyValuePair<string, object?>("kind", "cloud_disconnect")),
            };
        }, description: "Downlinks handled, by kind");
        if (pacer is not null)
        {
            _meter.CreateObservableCounter("bridge.paced", () => pacer.Paced, description: "PUBLISHes that waited for a ThingsBoard session limit");
            _meter.CreateObservableGauge("bridge.session_limit", () => SessionLimitGauges(pacer.Limits),
                description: "Tightest per-second rate of each session limit in force (getSessionLimits), by scope and kind; payload and in-flight caps");
        }
        if (client is not null)
            _meter.CreateObservableCounter("bridge.mqtt_resent", () => client.GetCounters().PublishesResent, description: "PUBLISHes resent with DUP after a reconnect");
    }

    private static IEnumerable<Measurement<double>> SessionLimitGauges(SessionLimits limits)
    {
        static IEnumerable<Measurement<double>> Of(string scope, RateLimitSet set)
        {
            foreach (var (kind, windows) in new[] { ("messages", set.Messages), ("telemetry_messages", set.TelemetryMessages), ("telemetry_data_points", set.TelemetryDataPoints) })
                if (windows.Count > 0)
                    yield return new Measurement<double>(windows.Min(w => w.PerSecond), new KeyValuePair<string, object?>("scope", scope), new KeyValuePair<string, object?>("kind", kind));
        }
        foreach (var m in Of("device", limits.Device)) yield return m;
        foreach (var m in Of("gateway", limits.Gateway)) yield return m;
        if (limits.MaxPayloadSize > 0) yield return new Measurement<double>(limits.MaxPayloadSize, new KeyValuePair<string, object?>("scope", "session"), new KeyValuePair<string, object?>("kind", "max_payload_bytes"));
        if (limits.MaxInflightMessages > 0) yield return new Measurement<double>(limits.MaxInflightMessages, new KeyValuePair<string, object?>("scope", "session"), new KeyValuePair<string, object?>("kind", "max_inflight"));
    }

    public void Dispose() => _meter.Dispose();
}
