using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.Bridge.Devices;
using Gateway.Bridge.Firmware;
using Gateway.Bridge.Service;
using Gateway.Domain;
using Gateway.Mqtt.Client;
using Gateway.Storage.Attributes;
using Gateway.Storage.Devices;
using Gateway.Storage.Downlinks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StoredKind = Gateway.Storage.Downlinks.DownlinkKind;

namespace Gateway.Bridge.Downlinks;

/// <summary>
/// Cloud → devices (thingsboard.md §4.2, §4.5): shared attribute updates and deletions go to the
/// attribute cache, RPC requests to the per-device downlink queue with a TTL; each is stored first
/// and then signalled (<see cref="IDownlinkSignal"/>), so a device asleep now gets it on its next
/// contact, also after a restart. Attribute responses complete <see cref="MqttCloudLink"/> requests
/// or fill the cache, replies to the gateway's own client-side RPCs (§4.1) complete
/// <see cref="MqttCloudLink.CallRpcAsync"/>. Downlinks for devices this gateway does not know are counted and logged once
/// per name; an RPC for one is answered upstream with an error and the device is disconnected, so
/// the cloud neither waits for a timeout nor keeps routing to it.
/// The client's inbound queue is bounded and back-pressures QoS 1 (its PUBACK waits for room), so
/// nothing here drops a message silently.
/// </summary>
public sealed class DownlinkRouter(
    MqttClient client,
    IDeviceStore devices,
    IAttributeStore attributes,
    IDownlinkQueue downlinks,
    IDownlinkSignal signal,
    MqttCloudLink cloudLink,
    DeviceTracker tracker,
    BridgeOptions options,
    BridgeStatus status,
    ILogger<DownlinkRouter>? logger = null,
    ServiceRpcs? serviceRpcs = null,
    CloudNames? names = null,
    Logs.CloudLogShipper? ownAttributes = null,
    FirmwareDownloads? firmware = null)
{
    private readonly CloudNames _names = names ?? new CloudNames();
    private const int RememberedUnknownNames = 1024;
    private readonly ILogger _logger = logger ?? (ILogger)NullLogger.Instance;
    private readonly HashSet<string> _unknownLogged = new(StringComparer.Ordinal);

    /// <summary>Handles inbound messages until the client completes its queue (stop) or <paramref name="stop"/>.</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        await foreach (var message in client.Messages.ReadAllAsync(stop).ConfigureAwait(false))
        {
            try
            {
                await HandleAsync(message, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception e)
            {
                // One failing message (storage error, a bug) must not stop the downlinks; it is already PUBACKed.
                status.Error(e.Message);
                BridgeLog.DownlinkFailed(_logger, e, message.Topic);
            }
        }
    }

    internal async Task HandleAsync(MqttMessage message, CancellationToken cancellationToken)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(message.Payload);
        }
        catch (JsonException e)
        {
            Malformed(message.Topic, "not JSON: " + e.Message);
            return;
        }
        using (document)
        {
            var root = document.RootElement;
            if (message.Topic.StartsWith(GatewayTopics.OwnRpcResponsePrefix, StringComparison.Ordinal))
            {
                OwnRpcResponse(message.Topic, root);
                return;
            }
            if (message.Topic.StartsWith(GatewayTopics.OwnRpcRequestPrefix, StringComparison.Ordinal))
            {
                await OwnRpcRequestAsync(message, root, cancellationToken).ConfigureAwait(false);
                return;
            }
            if (message.Topic == GatewayTopics.OwnAttributes || message.Topic.StartsWith(GatewayTopics.OwnAttributeResponsePrefix, StringComparison.Ordinal))
            {
                // The gateway device's own shared attributes; on MQTT 3.1.1 its own client-attribute uploads come back here too and carry no level.
                ownAttributes?.ApplyAttributes(root);
                return;
            }
            switch (message.Topic)
            {
                case GatewayTopics.Attributes: await AttributeUpdateAsync(root, cancellationToken).ConfigureAwait(false); break;
                case GatewayTopics.Rpc: await RpcAsync(root, cancellationToken).ConfigureAwait(false); break;
                case GatewayTopics.AttributeResponse: await AttributeResponseAsync(root, cancellationToken).ConfigureAwait(false); break;
                case GatewayTopics.Disconnect: CloudDisconnect(root); break;
                default: Malformed(message.Topic, "not a gateway downlink topic"); break;
            }
        }
    }

    /// <summary>§4.2: <c>{"device":"Dev A","data":{"k":v}}</c> or <c>{"device":…,"data":{"deleted":["k"]}}</c>.</summary>
    private async Task AttributeUpdateAsync(JsonElement root, CancellationToken cancellationToken)
    {
        if (LocalDevice(root) is not { } device || !root.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Object)
        {
            Malformed(GatewayTopics.Attributes, "expected {\"device\":…,\"data\":{…}}");
            return;
        }
        if (!await KnownAsync(GatewayTopics.Attributes, device, cancellationToken).ConfigureAwait(false)) return;
        var set = new Dictionary<string, string>(StringComparer.Ordinal);
        var deleted = new List<string>();
        foreach (var member in data.EnumerateObject())
        {
            if (member.NameEquals("deleted") && member.Value.ValueKind == JsonValueKind.Array)
                deleted.AddRange(member.Value.EnumerateArray().Where(k => k.ValueKind == JsonValueKind.String).Select(k => k.GetString()!));
            else
                set[member.Name] = member.Value.GetRawText();
        }
        bool heldBack = false;
        if (firmware is not null)
        {
            // Issue 23: a package by URL reaches the device only once downloaded and verified (FirmwareDownloads).
            if (deleted.Any(IsFirmwareKey)) await firmware.WithdrawAsync(device, cancellationToken).ConfigureAwait(false);
            if (await firmware.TryAssignAsync(device, set, cancellationToken).ConfigureAwait(false))
            {
                foreach (var key in set.Keys.Where(IsFirmwareKey).ToList()) set.Remove(key);
                heldBack = true;
            }
        }
        if (set.Count > 0) await attributes.SetAsync(device, AttributeScope.Shared, set, DateTimeOffset.UtcNow, cancellationToken).ConfigureAwait(false);
        if (deleted.Count > 0) await attributes.DeleteAsync(device, AttributeScope.Shared, deleted, cancellationToken).ConfigureAwait(false);
        status.AttributeUpdate();
        BridgeLog.AttributesUpdated(_logger, device, set.Count, deleted.Count);
        if (heldBack && set.Count == 0 && deleted.Count == 0) return;
        // §1.3: devices get the flat object ThingsBoard would push, i.e. exactly "data" (less what is held back).
        var payload = heldBack ? UpdatePayload(set, deleted) : JsonMarshal.GetRawUtf8Value(data).ToArray();
        signal.Notify(new DownlinkEvent(device, Domain.DownlinkKind.SharedAttributes, payload));
    }

    private static Dictionary<string, string> Raw(JsonObject values) =>
        values.ToDictionary(p => p.Key, p => p.Value?.ToJsonString() ?? "null", StringComparer.Ordinal);

    private static bool IsFirmwareKey(string key) => key.StartsWith(FirmwareAssignment.Prefix, StringComparison.Ordinal);

    /// <summary>The update as ThingsBoard shapes it (§4.2): the set members, and <c>"deleted":[…]</c> when keys were deleted.</summary>
    private static byte[] UpdatePayload(Dictionary<string, string> set, List<string> deleted)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var (key, json) in set)
            {
                writer.WritePropertyName(key);
                writer.WriteRawValue(json);
            }
            if (deleted.Count > 0)
            {
                writer.WriteStartArray("deleted");
                foreach (var key in deleted) writer.WriteStringValue(key);
                writer.WriteEndArray();
            }
            writer.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>§4.2: <c>{"device":"Dev A","data":{"id":5,"method":"m","params":{…}}}</c>; id is a JSON number (§1.4).</summary>
    private async Task RpcAsync(JsonElement root, CancellationToken cancellationToken)
    {
        if (LocalDevice(root) is not { } device || !root.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Object
            || !data.TryGetProperty("id", out var idElement) || !idElement.TryGetInt64(out var id)
            || !data.TryGetProperty("method", out var method) || method.ValueKind != JsonValueKind.String)
        {
            // Our own replies come back here on MQTT 3.1.1 (no No Local), and fail this check too.
            Malformed(GatewayTopics.Rpc, "expected {\"device\":…,\"data\":{\"id\":n,\"method\":…}}");
            return;
        }
        if (!await KnownAsync(GatewayTopics.Rpc, device, cancellationToken).ConfigureAwait(false))
        {
            // Never silence (aesthetics.md §3.5): the cloud learns at once, and stops routing to the device.
            var cloudName = _names.CloudName(device);
            await client.PublishAsync(DeviceMessages.RpcError(cloudName, id, "unknown device"), cancellationToken).ConfigureAwait(false);
            await client.PublishAsync(DeviceMessages.Disconnect(cloudName), cancellationToken).ConfigureAwait(false);
            return;
        }
        var ttl = TimeSpan.FromSeconds(options.RpcTtlSeconds);
        var payload = JsonMarshal.GetRawUtf8Value(data).ToArray();
        await downlinks.EnqueueAsync(device, StoredKind.RpcRequest, id, payload, ttl, cancellationToken).ConfigureAwait(false);
        status.Rpc();
        BridgeLog.RpcQueued(_logger, id, method.GetString()!, device, ttl);
        signal.Notify(new DownlinkEvent(device, Domain.DownlinkKind.Rpc, payload));
    }

    private async Task AttributeResponseAsync(JsonElement root, CancellationToken cancellationToken)
    {
        if (!root.TryGetProperty("id", out var idElement) || !idElement.TryGetInt64(out var id))
        {
            Malformed(GatewayTopics.AttributeResponse, "no numeric id");
            return;
        }
        // Issue 23: fw_* of a package by URL reach the device only once verified, also when the device asks for them.
        JsonObject? urlPackage = null;
        string? device = LocalDevice(root);
        Func<JsonObject, JsonObject>? hold = firmware is null || device is null ? null : values =>
        {
            if (!values.Any(v => IsFirmwareKey(v.Key))) return values;
            bool byUrl = values.ContainsKey(FirmwareAssignment.UrlKey);
            if (!byUrl && !firmware.IsPending(device)) return values;
            if (byUrl) urlPackage = values;
            return new JsonObject(values.Where(v => !IsFirmwareKey(v.Key)).Select(v => KeyValuePair.Create(v.Key, v.Value?.DeepClone())));
        };
        var (completed, request) = cloudLink.Complete(id, root, hold);
        if (urlPackage is not null) await firmware!.TryAssignAsync(device!, Raw(urlPackage), cancellationToken).ConfigureAwait(false);
        if (completed) return;
        if (request is null)
        {
            BridgeLog.AttributeResponseUnmatched(_logger, id);
            return;
        }
        // A device-side outbox request: the answer goes to the cache, where the device side looks.
        var values = MqttCloudLink.ValuesOf(root, request.Keys);
        if (hold is not null) values = hold(values);
        if (urlPackage is not null) await firmware!.TryAssignAsync(device!, Raw(urlPackage), cancellationToken).ConfigureAwait(false);
        if (values.Count == 0) return;
        var scope = request.Client ? AttributeScope.Client : AttributeScope.Shared;
        await attributes.SetAsync(request.Device, scope, values.ToDictionary(p => p.Key, p => p.Value?.ToJsonString() ?? "null"), DateTimeOffset.UtcNow, cancellationToken).ConfigureAwait(false);
        if (scope == AttributeScope.Shared)
            signal.Notify(new DownlinkEvent(request.Device, Domain.DownlinkKind.SharedAttributes, JsonBytes.Of(values)));
    }

    /// <summary>
    /// §4.1: the rule chain's reply to a client-side RPC the gateway forwarded as its own, on
    /// <c>v1/devices/me/rpc/response/{id}</c>; any JSON is a valid reply (§1.4), so only the id is checked.
    /// </summary>
    private void OwnRpcResponse(string topic, JsonElement root)
    {
        if (!long.TryParse(topic.AsSpan(GatewayTopics.OwnRpcResponsePrefix.Length), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id))
        {
            Malformed(topic, "no numeric request id in the topic");
            return;
        }
        if (!cloudLink.CompleteRpc(id, root)) BridgeLog.ClientRpcReplyUnmatched(_logger, id);
    }

    /// <summary>
    /// §4.1, §4.5: a server-side RPC to the gateway device on <c>v1/devices/me/rpc/request/{id}</c>. On a
    /// plain MQTT 3.1.1 broker the gateway's own client-side requests come back on this filter (no No
    /// Local): those are recognised by id and bytes and ignored.
    /// </summary>
    private async Task OwnRpcRequestAsync(MqttMessage message, JsonElement root, CancellationToken cancellationToken)
    {
        if (!long.TryParse(message.Topic.AsSpan(GatewayTopics.OwnRpcRequestPrefix.Length), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id))
        {
            Malformed(message.Topic, "no numeric request id in the topic");
            return;
        }
        if (cloudLink.IsOwnRequest(id, message.Payload.Span))
        {
            BridgeLog.OwnRequestEchoIgnored(_logger, id);
            return;
        }
        if (serviceRpcs is null)
        {
            Malformed(message.Topic, "no service RPC handler");
            return;
        }
        await serviceRpcs.HandleAsync(id, root, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>§4.2 (MQTT 5 only): <c>{"device":"Dev A","reason":150}</c>; the device loses its downlinks until announced again.</summary>
    private void CloudDisconnect(JsonElement root)
    {
        if (LocalDevice(root) is not { } device)
        {
            Malformed(GatewayTopics.Disconnect, "no device");
            return;
        }
        int reason = root.TryGetProperty("reason", out var r) && r.TryGetInt32(out var code) ? code : 0;
        status.CloudDisconnect();
        BridgeLog.CloudDisconnected(_logger, device, reason);
        tracker.RequestAnnouncement(device);
    }

    private async Task<bool> KnownAsync(string topic, string device, CancellationToken cancellationToken)
    {
        if (await devices.FindByNameAsync(device, cancellationToken).ConfigureAwait(false) is not null) return true;
        status.UnknownDevice();
        bool first;
        lock (_unknownLogged)
        {
            if (_unknownLogged.Count >= RememberedUnknownNames) _unknownLogged.Clear();
            first = _unknownLogged.Add(device);
        }
        if (first) BridgeLog.UnknownDevice(_logger, topic, device);
        return false;
    }

    private void Malformed(string topic, string problem)
    {
        status.Malformed();
        BridgeLog.MalformedDownlink(_logger, topic, problem);
    }

    /// <summary>The local device a downlink's <c>"device"</c> (a cloud name) stands for.</summary>
    private string? LocalDevice(JsonElement root) => Device(root) is { } cloudName ? _names.LocalName(cloudName) : null;

    private static string? Device(JsonElement root) =>
        root.ValueKind == JsonValueKind.Object && root.TryGetProperty("device", out var d) && d.ValueKind == JsonValueKind.String && d.GetString() is { Length: > 0 } name
            ? name
            : null;
}
