using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.Bridge.Devices;
using Gateway.Bridge.Limits;
using Gateway.Domain;
using Gateway.Mqtt.Client;
using Gateway.Storage.Outbox;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Bridge.Downlinks;

/// <summary>
/// <see cref="ICloudLink"/> over the gateway API: <c>v1/gateway/attributes/request</c>
/// <c>{"id","device","client":bool,"keys":[…]}</c> (one scope per request, the format the server
/// code really reads, thingsboard.md §4.2 ⚠), answered on <c>v1/gateway/attributes/response</c>.
/// Ids of these requests are taken from 2^30 upward (ThingsBoard reads the id as a 32-bit int) so
/// they never meet the small ids the device side puts in its own outbox attribute requests, whose
/// responses are remembered here too (bounded) and written to the attribute cache by the router.
/// Client-side RPCs of devices go out as the gateway's own (§4.1; the gateway API has none for
/// sub-devices, §4.2) on <c>v1/devices/me/rpc/request/{n}</c> with ids of their own counter (another
/// topic, so no clash with attribute ids), answered on <c>v1/devices/me/rpc/response/{n}</c>; the
/// envelope is documented on <see cref="ICloudLink.CallRpcAsync"/>.
/// </summary>
public sealed class MqttCloudLink : ICloudLink
{
    private const int FirstId = 1 << 30;
    private const int RememberedOutboxRequests = 1024;
    private const int RememberedOwnRequests = 1024;

    private readonly MqttClient _client;
    private readonly BridgeStatus _status;
    private readonly BridgeOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly Dictionary<long, Pending> _pending = [];
    private readonly Dictionary<long, OutboxRequest> _outboxRequests = [];
    private readonly Queue<long> _outboxOrder = new();
    private readonly Dictionary<long, TaskCompletionSource<JsonNode?>> _pendingRpcs = [];
    private readonly Dictionary<long, byte[]> _issued = [];
    private readonly Queue<long> _issuedOrder = new();
    private readonly CloudNames _names;
    // Live messages are charged to the session limits without waiting; the forwarder's drain yields to them.
    private readonly SessionPacer? _pacer;
    private int _nextId = FirstId;
    private int _nextRpcId = 1;

    public MqttCloudLink(MqttClient client, BridgeStatus status, BridgeOptions options, TimeProvider? time = null, ILogger<MqttCloudLink>? logger = null,
        CloudNames? names = null, SessionPacer? pacer = null)
    {
        _pacer = pacer;
        _names = names ?? new CloudNames();
        _client = client;
        _status = status;
        _options = options;
        _time = time ?? TimeProvider.System;
        _logger = logger ?? (ILogger)NullLogger.Instance;
    }

    public bool IsConnected => _status.Connected;

    public async Task<JsonObject?> RequestAttributesAsync(string device, bool client, IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        if (!IsConnected) return null;
        _status.AttributeRequest();
        long id;
        var pending = new Pending(keys);
        lock (_gate)
        {
            if (_pending.Count >= _options.MaxPendingAttributeRequests)
            {
                _status.AttributeRequestUnanswered();
                BridgeLog.AttributeRequestsFull(_logger, device, _pending.Count);
                return null;
            }
            id = _nextId;
            _nextId = _nextId == int.MaxValue ? FirstId : _nextId + 1;
            _pending[id] = pending;
        }
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(_options.AttributeRequestTimeoutSeconds), _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        try
        {
            var payload = DeviceMessages.Json(w =>
            {
                w.WriteNumber("id", id);
                w.WriteString("device", _names.CloudName(device));
                w.WriteBoolean("client", client);
                w.WriteStartArray("keys");
                foreach (var key in keys) w.WriteStringValue(key);
                w.WriteEndArray();
            });
            _pacer?.Charge([new UplinkEntry(device, false, 0)]);
            var published = await _client.PublishAsync(new MqttMessage { Topic = GatewayTopics.AttributeRequest, Payload = payload }, linked.Token).ConfigureAwait(false);
            if (!published.IsSuccess)
            {
                _status.AttributeRequestUnanswered();
                return null;
            }
            return await pending.Result.Task.WaitAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            _status.AttributeRequestUnanswered();
            return null;
        }
        catch (ObjectDisposedException)
        {
            _status.AttributeRequestUnanswered();
            return null;
        }
        finally
        {
            lock (_gate) _pending.Remove(id);
        }
    }

    /// <summary>
    /// Publishes <c>{"method":m,"params":{"device":d,"params":p}}</c> QoS 1 on <c>v1/devices/me/rpc/request/{n}</c>
    /// and waits for <c>v1/devices/me/rpc/response/{n}</c>, at most <see cref="BridgeOptions.ClientRpcTimeoutSeconds"/>
    /// or until the caller cancels. Null when the link is down, too many calls are waiting, the PUBLISH failed, or
    /// no reply came in time; a late reply is then only logged by the router.
    /// </summary>
    public async Task<JsonNode?> CallRpcAsync(string device, string method, JsonNode? parameters, CancellationToken cancellationToken)
    {
        if (!IsConnected) return null;
        _status.ClientRpc();
        var payload = DeviceMessages.Json(w =>
        {
            w.WriteString("method", method);
            w.WriteStartObject("params");
            w.WriteString("device", _names.CloudName(device));
            w.WritePropertyName("params");
            if (parameters is null) w.WriteNullValue();
            else parameters.WriteTo(w);
            w.WriteEndObject();
        });
        var (answered, reply) = await CallOwnRpcAsync(payload, TimeSpan.FromSeconds(_options.ClientRpcTimeoutSeconds), cancellationToken).ConfigureAwait(false);
        if (answered == RpcOutcome.Full) BridgeLog.ClientRpcsFull(_logger, device, method, _options.MaxPendingClientRpcs);
        if (answered != RpcOutcome.Answered) _status.ClientRpcUnanswered();
        return reply;
    }

    /// <summary>
    /// The gateway's own client-side RPC (thingsboard.md §4.1): publishes <paramref name="payload"/>
    /// (<c>{"method","params"}</c>) QoS 1 on <c>v1/devices/me/rpc/request/{n}</c> and waits at most
    /// <paramref name="timeout"/> for <c>v1/devices/me/rpc/response/{n}</c>.
    /// </summary>
    internal async Task<(RpcOutcome Outcome, JsonNode? Reply)> CallOwnRpcAsync(byte[] payload, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (!IsConnected) return (RpcOutcome.NotSent, null);
        long id;
        var pending = new TaskCompletionSource<JsonNode?>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            // Bounded like attribute requests: a device storm must not grow memory while the cloud is slow.
            if (_pendingRpcs.Count >= _options.MaxPendingClientRpcs) return (RpcOutcome.Full, null);
            id = _nextRpcId;
            // ThingsBoard parses the id from the topic as an int (§4.1 MqttTopics); wrap before it overflows.
            _nextRpcId = _nextRpcId == int.MaxValue ? 1 : _nextRpcId + 1;
            _pendingRpcs[id] = pending;
            // Remembered so that the request itself, coming back on a plain MQTT 3.1.1 broker (no No Local), is recognised.
            _issued[id] = payload;
            _issuedOrder.Enqueue(id);
            while (_issuedOrder.Count > RememberedOwnRequests) _issued.Remove(_issuedOrder.Dequeue());
        }
        using var timeoutSource = new CancellationTokenSource(timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeoutSource.Token, cancellationToken);
        try
        {
            var message = new MqttMessage
            {
                Topic = GatewayTopics.OwnRpcRequestPrefix + id.ToString(System.Globalization.CultureInfo.InvariantCulture),
                Payload = payload,
            };
            _pacer?.Charge([new UplinkEntry("", false, 0)]);
            var published = await _client.PublishAsync(message, linked.Token).ConfigureAwait(false);
            if (!published.IsSuccess) return (RpcOutcome.NotSent, null);
            return (RpcOutcome.Answered, await pending.Task.WaitAsync(linked.Token).ConfigureAwait(false));
        }
        catch (OperationCanceledException)
        {
            return (RpcOutcome.NoReply, null);
        }
        catch (ObjectDisposedException)
        {
            return (RpcOutcome.NotSent, null);
        }
        finally
        {
            lock (_gate) _pendingRpcs.Remove(id);
        }
    }

    /// <summary>Whether a request on <c>v1/devices/me/rpc/request/{id}</c> is one this gateway sent itself (same id and bytes).</summary>
    internal bool IsOwnRequest(long id, ReadOnlySpan<byte> payload)
    {
        lock (_gate) return _issued.TryGetValue(id, out var sent) && payload.SequenceEqual(sent);
    }

    internal enum RpcOutcome { Answered, NotSent, Full, NoReply }

    /// <summary>A reply on <c>v1/devices/me/rpc/response/{id}</c> arrived: completes the waiting call; false if none waits.</summary>
    internal bool CompleteRpc(long id, JsonElement reply)
    {
        TaskCompletionSource<JsonNode?>? pending;
        lock (_gate) _pendingRpcs.TryGetValue(id, out pending);
        // JsonNode.Parse of a JSON null is a null node: the cloud's literal null reply comes back as null too
        // (indistinguishable from "no answer" for the caller, which is acceptable for a reply that says nothing).
        return pending is not null && pending.TrySetResult(JsonNode.Parse(reply.GetRawText()));
    }

    /// <summary>Remembers a device-side attribute request row about to be published, so its response can be cached.</summary>
    internal void RememberOutboxRequest(OutboxEntry row)
    {
        try
        {
            using var doc = JsonDocument.Parse(row.Message.Payload);
            var root = doc.RootElement;
            var id = root.GetProperty("id").GetInt64();
            var keys = root.GetProperty("keys").EnumerateArray().Select(k => k.GetString()!).ToList();
            lock (_gate)
            {
                if (_outboxRequests.TryAdd(id, new OutboxRequest(row.Message.Device, root.GetProperty("client").GetBoolean(), keys)))
                {
                    _outboxOrder.Enqueue(id);
                    // Bounded: the oldest memory goes first; its late response is then only logged.
                    while (_outboxOrder.Count > RememberedOutboxRequests) _outboxRequests.Remove(_outboxOrder.Dequeue());
                }
            }
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            // Validated before packing; nothing to remember if it still does not parse.
        }
    }

    /// <summary>
    /// A response arrived: completes the waiting <see cref="RequestAttributesAsync"/> (true), or returns
    /// the remembered outbox request it answers (for the cache), or null if it matches nothing.
    /// <paramref name="hold"/> removes values the waiting device must not get yet (firmware not verified).
    /// </summary>
    internal (bool Completed, OutboxRequest? OutboxRequest) Complete(long id, JsonElement response, Func<JsonObject, JsonObject>? hold = null)
    {
        Pending? pending;
        OutboxRequest? request;
        lock (_gate)
        {
            _pending.TryGetValue(id, out pending);
            if (_outboxRequests.Remove(id, out request)) { /* forgotten lazily in _outboxOrder */ }
        }
        if (pending is not null)
        {
            var values = ValuesOf(response, pending.Keys);
            return (pending.Result.TrySetResult(hold is null ? values : hold(values)), null);
        }
        return (false, request);
    }

    /// <summary>§4.2: <c>value</c> when exactly one key was requested and found, else <c>values</c>; neither when nothing was found.</summary>
    internal static JsonObject ValuesOf(JsonElement response, IReadOnlyList<string> keys)
    {
        if (response.TryGetProperty("values", out var values) && values.ValueKind == JsonValueKind.Object)
            return JsonNode.Parse(values.GetRawText())!.AsObject();
        if (response.TryGetProperty("value", out var value) && keys.Count == 1)
            return new JsonObject { [keys[0]] = JsonNode.Parse(value.GetRawText()) };
        return [];
    }

    private sealed class Pending(IReadOnlyList<string> keys)
    {
        public IReadOnlyList<string> Keys { get; } = keys;
        public TaskCompletionSource<JsonObject?> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    internal sealed record OutboxRequest(string Device, bool Client, IReadOnlyList<string> Keys);
}
