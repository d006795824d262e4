using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using MQTTnet;
using MQTTnet.Protocol;
using MQTTnet.Server;

namespace Gateway.TestKit;

/// <summary>A telemetry PUBLISH the server accepted: when (server clock), on which connection, how many rows (array elements) of which device it carried.</summary>
public sealed record AcceptedTelemetry(TimeSpan At, int Connection, IReadOnlyDictionary<string, int> DeviceRows)
{
    public int Rows => DeviceRows.Values.Sum();
}

/// <summary>
/// A broker that enforces ThingsBoard's session limits the way its transport does
/// (thingsboard.md §4.1, §4.4; <c>DefaultTransportRateLimitService</c>): it answers the client-side
/// RPC <c>getSessionLimits</c> with <see cref="LimitsJson"/>, checks every uplink device entry against
/// token buckets that start full and refill greedily (bucket4j's bandwidths), per device
/// (<c>rateLimits</c>) and for the whole gateway (<c>gatewayRateLimits</c>), and over a limit answers
/// PUBACK 0x97 QuotaExceeded and closes the connection. Every entry counts as a message (older
/// ThingsBoard counts all; newer only the others), telemetry entries also as a telemetry message with
/// their data points (the members of each <c>values</c> object). Its own bucket code on purpose: it
/// checks the gateway's pacer, it must not share it.
/// </summary>
public sealed class ThingsBoardLimitsBroker : IAsyncDisposable
{
    private const string ServerClientId = "thingsboard";
    private readonly MqttServer _server;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Buckets> _devices = new(StringComparer.Ordinal);
    private Buckets? _gateway;
    private int _connections, _refusals, _limitQuestions;

    private ThingsBoardLimitsBroker(int port, string limitsJson)
    {
        Port = port;
        LimitsJson = limitsJson;
        _server = MqttTestBroker.LoopbackServer(port);
        _server.ClientConnectedAsync += _ =>
        {
            Interlocked.Increment(ref _connections);
            // ThingsBoard's limits live with the session: a new connection starts with full buckets.
            lock (_gate) { _gateway = null; _devices.Clear(); }
            return Task.CompletedTask;
        };
        _server.InterceptingPublishAsync += OnPublishAsync;
    }

    public int Port { get; }

    /// <summary>The answer to <c>getSessionLimits</c>.</summary>
    public string LimitsJson { get; }

    public int Connections => Volatile.Read(ref _connections);

    /// <summary>PUBLISHes refused with 0x97 (each one closed the connection).</summary>
    public int Refusals => Volatile.Read(ref _refusals);

    public int LimitQuestions => Volatile.Read(ref _limitQuestions);

    public ConcurrentQueue<AcceptedTelemetry> Telemetry { get; } = new();

    public TimeSpan Now => _clock.Elapsed;

    public static async Task<ThingsBoardLimitsBroker> StartAsync(string limitsJson)
    {
        var broker = new ThingsBoardLimitsBroker(FreePort.Tcp(), limitsJson);
        await broker._server.StartAsync();
        return broker;
    }

    private async Task OnPublishAsync(InterceptingPublishEventArgs e)
    {
        // The server's own answers pass this interceptor too: they go out untouched.
        if (e.ClientId == ServerClientId) return;
        var topic = e.ApplicationMessage.Topic;
        var payload = e.ApplicationMessage.Payload.ToArray();
        var deviceRows = new Dictionary<string, int>(StringComparer.Ordinal);
        var entries = Entries(topic, payload, deviceRows);
        bool within;
        lock (_gate) within = Admit(entries);
        if (!within)
        {
            Interlocked.Increment(ref _refusals);
            e.Response.ReasonCode = MqttPubAckReasonCode.QuotaExceeded;
            e.ProcessPublish = false;
            var client = e.ClientId;
            // §4.4: then the connection is closed (after the PUBACK is on its way).
            _ = Task.Run(async () =>
            {
                await Task.Delay(50);
                foreach (var c in await _server.GetClientsAsync())
                    if (c.Id == client) await c.DisconnectAsync(new MqttServerClientDisconnectOptions { ReasonCode = MqttDisconnectReasonCode.QuotaExceeded });
            });
            return;
        }
        e.ProcessPublish = false;  // nobody else listens; the server is the cloud
        if (deviceRows.Count > 0) Telemetry.Enqueue(new AcceptedTelemetry(_clock.Elapsed, Connections, deviceRows));
        if (topic.StartsWith("v1/devices/me/rpc/request/", StringComparison.Ordinal) && IsLimitsQuestion(payload))
        {
            Interlocked.Increment(ref _limitQuestions);
            var id = topic["v1/devices/me/rpc/request/".Length..];
            await _server.InjectApplicationMessage(new InjectedMqttApplicationMessage(new MqttApplicationMessage
            {
                Topic = "v1/devices/me/rpc/response/" + id,
                PayloadSegment = new ArraySegment<byte>(Encoding.UTF8.GetBytes(LimitsJson)),
                QualityOfServiceLevel = MqttQualityOfServiceLevel.AtLeastOnce,
            }) { SenderClientId = ServerClientId });
        }
    }

    private static bool IsLimitsQuestion(byte[] payload)
    {
        try
        {
            using var doc = JsonDocument.Parse(payload);
            return doc.RootElement.TryGetProperty("method", out var m) && m.ValueKind == JsonValueKind.String && m.GetString() == "getSessionLimits";
        }
        catch (JsonException) { return false; }
    }

    private bool Admit(List<(string Device, bool Telemetry, int DataPoints)> entries)
    {
        using var limits = JsonDocument.Parse(LimitsJson);
        var now = _clock.Elapsed.TotalSeconds;
        _gateway ??= new Buckets(limits.RootElement, "gatewayRateLimits", now);
        foreach (var (device, telemetry, points) in entries)
        {
            if (!_devices.TryGetValue(device, out var buckets)) _devices[device] = buckets = new Buckets(limits.RootElement, "rateLimits", now);
            if (!buckets.TryConsume(now, telemetry, points) | !_gateway.TryConsume(now, telemetry, points)) return false;
        }
        return true;
    }

    /// <summary>One entry per device of a gateway message (the device API's own topics: one entry for the gateway device, "").</summary>
    private static List<(string Device, bool Telemetry, int DataPoints)> Entries(string topic, byte[] payload, Dictionary<string, int> rows)
    {
        var list = new List<(string, bool, int)>();
        try
        {
            using var doc = JsonDocument.Parse(payload);
            var root = doc.RootElement;
            switch (topic)
            {
                case "v1/gateway/telemetry":
                    foreach (var device in root.EnumerateObject())
                    {
                        int points = 0;
                        foreach (var item in device.Value.EnumerateArray())
                        {
                            rows[device.Name] = rows.GetValueOrDefault(device.Name) + 1;
                            points += Points(item);
                        }
                        list.Add((device.Name, true, points));
                    }
                    break;
                case "v1/gateway/attributes" or "v1/gateway/claim":
                    foreach (var device in root.EnumerateObject()) list.Add((device.Name, false, 0));
                    break;
                case "v1/devices/me/telemetry":
                    int own = 0;
                    foreach (var item in root.ValueKind == JsonValueKind.Array ? root.EnumerateArray().ToList() : [root])
                    {
                        rows[""] = rows.GetValueOrDefault("") + 1;
                        own += Points(item);
                    }
                    list.Add(("", true, own));
                    break;
                default:
                    var name = topic.StartsWith("v1/gateway/", StringComparison.Ordinal) && root.TryGetProperty("device", out var d) ? d.GetString() ?? "" : "";
                    list.Add((name, false, 0));
                    break;
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            list.Add(("", false, 0));
        }
        return list;
    }

    private static int Points(JsonElement item) =>
        item.TryGetProperty("ts", out _) && item.TryGetProperty("values", out var values) ? values.EnumerateObject().Count() : item.EnumerateObject().Count();

    public async ValueTask DisposeAsync()
    {
        await _server.StopAsync();
        _server.Dispose();
    }

    /// <summary>The three limits of one entity, each a list of greedy token buckets ("100:1,1000:60").</summary>
    private sealed class Buckets
    {
        private readonly List<double[]> _messages, _telemetry, _points;  // [capacity, per second, tokens, stamp]

        public Buckets(JsonElement limits, string name, double now)
        {
            JsonElement set = limits.TryGetProperty(name, out var s) && s.ValueKind == JsonValueKind.Object ? s : default;
            _messages = Parse(set, "messages", now);
            _telemetry = Parse(set, "telemetryMessages", now);
            _points = Parse(set, "telemetryDataPoints", now);
        }

        public bool TryConsume(double now, bool telemetry, int points)
        {
            bool ok = Take(_messages, now, 1);
            if (telemetry) ok &= Take(_telemetry, now, 1) & Take(_points, now, points);
            return ok;
        }

        private static bool Take(List<double[]> buckets, double now, int n)
        {
            bool ok = true;
            foreach (var b in buckets)
            {
                b[2] = Math.Min(b[0], b[2] + (now - b[3]) * b[1]);
                b[3] = now;
                if (b[2] >= n) b[2] -= n;
                else ok = false;
            }
            return ok;
        }

        private static List<double[]> Parse(JsonElement set, string name, double now)
        {
            var list = new List<double[]>();
            if (set.ValueKind != JsonValueKind.Object || !set.TryGetProperty(name, out var text) || text.GetString() is not { Length: > 0 } rate) return list;
            foreach (var part in rate.Split(',', StringSplitOptions.RemoveEmptyEntries))
            {
                var pair = part.Split(':');
                double capacity = double.Parse(pair[0], System.Globalization.CultureInfo.InvariantCulture), seconds = double.Parse(pair[1], System.Globalization.CultureInfo.InvariantCulture);
                if (capacity > 0 && seconds > 0) list.Add([capacity, capacity / seconds, capacity, now]);
            }
            return list;
        }
    }
}
