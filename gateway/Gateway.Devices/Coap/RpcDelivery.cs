using System.Buffers;
using System.Collections.Concurrent;
using System.Text.Json;
using Gateway.Coap.Messages;
using Gateway.Coap.Observe;
using Gateway.Coap.Server;
using Gateway.Devices.ThingsBoard;
using Gateway.Storage.Downlinks;
using Microsoft.Extensions.Logging;

namespace Gateway.Devices.Coap;

/// <summary>
/// Delivers queued server-side RPCs to a device's <c>/rpc</c> observation (thingsboard.md §2.5), one at
/// a time per device, oldest first: as 2.05 notifications <c>{"id":n,"method":"…","params":…}</c>
/// (§1.4, id a JSON number). An RPC becomes Delivered when its CON notification is ACKed (or a NON
/// one is sent); if the notification times out, is reset or the relation is gone, it stays Pending
/// and goes out again on the device's next registration (a sleeping device) until its TTL expires,
/// when <see cref="RpcExpiryReporter"/> reports the timeout. Runs on a new registration and whenever
/// the bridge signals a queued RPC.
/// </summary>
internal sealed class RpcDelivery(IDownlinkQueue downlinks, ILogger logger)
{
    private readonly ConcurrentDictionary<string, string> _rpcIdentities = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _attributeIdentities = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _running = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _again = new(StringComparer.Ordinal);

    public FeatureResource? Resource { get; set; }

    /// <summary>Notes which observer identity belongs to a device (set at registration, after authentication).</summary>
    public void Remember(Feature.Kind feature, string device, string identity) =>
        (feature == Feature.Kind.Rpc ? _rpcIdentities : _attributeIdentities)[device] = identity;

    public string? AttributeIdentity(string device) => _attributeIdentities.GetValueOrDefault(device);

    public void RelationAdded(ObserveRelation relation)
    {
        var device = _rpcIdentities.FirstOrDefault(p => p.Value == relation.Identity).Key;
        if (device is not null) Kick(device);
    }

    /// <summary>Starts a delivery pass for the device, or asks the running one to look again.</summary>
    public void Kick(string device)
    {
        _again[device] = true;
        if (_running.TryAdd(device, true)) _ = Task.Run(() => RunAsync(device));
    }

    /// <summary>Completes when no pass is running (tests).</summary>
    public bool IsIdle => _running.IsEmpty;

    private async Task RunAsync(string device)
    {
        try
        {
            while (_again.TryRemove(device, out _))
            {
                await DeliverPendingAsync(device).ConfigureAwait(false);
            }
        }
        catch (Exception e)
        {
            DevicesLog.RpcDeliveryFailed(logger, device, e);
        }
        finally
        {
            _running.TryRemove(device, out _);
            if (_again.ContainsKey(device)) Kick(device); // raced with a late Kick
        }
    }

    private async Task DeliverPendingAsync(string device)
    {
        if (Resource is not { } resource || !_rpcIdentities.TryGetValue(device, out var identity)) return;
        foreach (var rpc in await downlinks.PendingAsync(device).ConfigureAwait(false))
        {
            if (rpc.Kind != DownlinkKind.RpcRequest || rpc.Status != DownlinkStatus.Pending || rpc.RequestId is not { } id) continue;
            var body = Notification(id, rpc.Payload);
            NotificationOutcome outcome;
            do
            {
                if (resource.FindRelation(identity) is not { IsActive: true } relation) return; // stays Pending for the next registration
                outcome = await resource.NotifyAsync(relation, CoapResponse.WithFormat(CoapCode.Content, body, CoapResults.ResponseFormat(relation.CreateRequest()))).ConfigureAwait(false);
            }
            while (outcome == NotificationOutcome.Superseded); // an RPC is an event: a newer notification must not swallow it
            DevicesLog.RpcNotified(logger, device, id, outcome.ToString());
            if (outcome is not (NotificationOutcome.Acknowledged or NotificationOutcome.Sent)) return;
            await downlinks.SetStatusAsync(rpc.Id, DownlinkStatus.Delivered).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// <c>{"id":n,"method":"…","params":…}</c> from the queued payload (the <c>data</c> object of
    /// <c>v1/gateway/rpc</c>, §4.2); the queue's request id wins, <c>params</c> is null when absent.
    /// </summary>
    public static byte[] Notification(long id, ReadOnlyMemory<byte> payload)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using var document = JsonDocument.Parse(payload);
        var root = document.RootElement;
        using (var writer = new Utf8JsonWriter(buffer, JsonText.WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteNumber("id", id);
            writer.WritePropertyName("method");
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("method", out var method)) method.WriteTo(writer);
            else writer.WriteNullValue();
            writer.WritePropertyName("params");
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("params", out var parameters)) parameters.WriteTo(writer);
            else writer.WriteNullValue();
            writer.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }
}
