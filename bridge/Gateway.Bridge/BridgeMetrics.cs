using System.Diagnostics.Metrics;
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

    public BridgeMetrics(BridgeStatus status, MqttClient? client = null)
    {
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
        if (client is not null)
            _meter.CreateObservableCounter("bridge.mqtt_resent", () => client.GetCounters().PublishesResent, description: "PUBLISHes resent with DUP after a reconnect");
    }

    public void Dispose() => _meter.Dispose();
}
