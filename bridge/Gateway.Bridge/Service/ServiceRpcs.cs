using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.Bridge.Devices;
using Gateway.Mqtt.Client;
using Gateway.Storage.Devices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Bridge.Service;

/// <summary>
/// Server-side RPCs to the gateway device itself, on <c>v1/devices/me/rpc/request/{id}</c>, answered on
/// <c>v1/devices/me/rpc/response/{id}</c> (thingsboard.md §4.1, §4.5). The operator's service commands,
/// as ThingsBoard's own IoT Gateway answers them (<c>{"code":200,"resp":…}</c>):
/// <c>gateway_ping</c>, <c>gateway_devices</c>, <c>gateway_stats</c>, <c>gateway_version</c>,
/// <c>gateway_restart</c> (answered first, then the process stops after the delay in seconds given as
/// params); and ThingsBoard's own notifications: <c>gateway_device_renamed</c> <c>{"old":"new"}</c>
/// (the device's rows, also those queued, go up under the new name: <see cref="CloudNames"/>) and
/// <c>gateway_device_deleted</c> <c>"name"</c> (the device is announced again, so its downlinks
/// resume). Anything else is answered <c>{"code":404,"error":…}</c>, never left to time out.
/// </summary>
public sealed class ServiceRpcs(
    MqttClient client,
    DeviceTracker tracker,
    IDeviceStore devices,
    CloudNames names,
    BridgeStatus status,
    IGatewayControl? control = null,
    ILogger<ServiceRpcs>? logger = null)
{
    /// <summary>Longest <c>gateway_restart</c> delay accepted (a day, ThingsBoard's persistent RPC expiry).</summary>
    public static readonly TimeSpan MaxRestartDelay = TimeSpan.FromDays(1);

    private readonly ILogger _logger = logger ?? (ILogger)NullLogger.Instance;

    /// <summary>Handles one request <c>{"method":…,"params":…}</c> with the id from its topic, and publishes the answer.</summary>
    public async Task HandleAsync(long id, JsonElement request, CancellationToken cancellationToken)
    {
        string? method = request.ValueKind == JsonValueKind.Object && request.TryGetProperty("method", out var m) && m.ValueKind == JsonValueKind.String
            ? m.GetString() : null;
        var parameters = request.ValueKind == JsonValueKind.Object && request.TryGetProperty("params", out var p) ? p : default;
        status.ServiceRpc();
        BridgeLog.ServiceRpc(_logger, id, method ?? "(none)");
        TimeSpan? restart = null;
        JsonObject answer;
        switch (method)
        {
            case "gateway_ping":
                answer = Ok("pong");
                break;
            case "gateway_devices":
                answer = Ok(await DevicesAsync(cancellationToken).ConfigureAwait(false));
                break;
            case "gateway_stats":
                answer = control is null ? Ok(BridgeFigures()) : Ok(await control.GetStatsAsync(cancellationToken).ConfigureAwait(false));
                break;
            case "gateway_version":
                answer = Ok(control?.Version ?? typeof(ServiceRpcs).Assembly.GetName().Version?.ToString(3) ?? "0.0.0");
                break;
            case "gateway_restart" when control is null:
                answer = Error(501, "restart is not available here");
                break;
            case "gateway_restart":
                if (RestartDelay(parameters) is { } delay)
                {
                    restart = delay;
                    answer = Ok($"restarting in {delay.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s");
                }
                else
                {
                    answer = Error(400, $"params: a delay in seconds from 0 to {MaxRestartDelay.TotalSeconds}");
                }
                break;
            case "gateway_device_renamed":
                answer = await RenamedAsync(parameters, cancellationToken).ConfigureAwait(false);
                break;
            case "gateway_device_deleted":
                answer = await DeletedAsync(parameters, cancellationToken).ConfigureAwait(false);
                break;
            default:
                answer = Error(404, method is null ? "no method" : $"method '{method}' not found");
                break;
        }
        var reply = new MqttMessage
        {
            Topic = GatewayTopics.OwnRpcResponsePrefix + id.ToString(CultureInfo.InvariantCulture),
            Payload = JsonSerializerFree(answer),
        };
        var published = await client.PublishAsync(reply, cancellationToken).ConfigureAwait(false);
        if (!published.IsSuccess) BridgeLog.ServiceRpcReplyRefused(_logger, id, $"{published.ReasonCode} {published.ReasonString}".TrimEnd());
        if (restart is { } after)
        {
            // Answered first (the operator sees it), then the process goes; systemd starts it again.
            BridgeLog.RestartScheduled(_logger, after);
            control!.ScheduleRestart(after);
        }
    }

    /// <summary>The connected (active) devices by cloud name, with the device API they use.</summary>
    private async Task<JsonObject> DevicesAsync(CancellationToken cancellationToken)
    {
        var registered = (await devices.ListAsync(cancellationToken).ConfigureAwait(false)).ToDictionary(d => d.Name, StringComparer.Ordinal);
        var result = new JsonObject();
        foreach (var device in tracker.ActiveDevices().Order(StringComparer.Ordinal))
        {
            var api = registered.TryGetValue(device, out var record) && record.Vendor is not null ? "exosite" : "thingsboard";
            result[names.CloudName(device)] = api;
        }
        return result;
    }

    private JsonObject BridgeFigures()
    {
        var s = status.Snapshot();
        return new JsonObject
        {
            ["link"] = s.Connected ? "up" : "down",
            ["rows_forwarded"] = s.RowsForwarded,
            ["publishes"] = s.Publishes,
            ["dead_letters"] = s.DeadLetters,
            ["reconnects"] = s.Reconnects,
            ["devices"] = tracker.ActiveCount,
        };
    }

    private async Task<JsonObject> RenamedAsync(JsonElement parameters, CancellationToken cancellationToken)
    {
        if (parameters.ValueKind != JsonValueKind.Object) return Error(400, "params: expected {\"old name\":\"new name\"}");
        var renamed = new JsonObject();
        foreach (var pair in parameters.EnumerateObject())
        {
            if (pair.Value.ValueKind != JsonValueKind.String || pair.Value.GetString() is not { Length: > 0 } newName) continue;
            var device = await names.RenameAsync(pair.Name, newName, cancellationToken).ConfigureAwait(false);
            BridgeLog.DeviceRenamed(_logger, device, pair.Name, newName);
            // The server's session knows the device by its old name: announce it under the new one.
            tracker.RequestAnnouncement(device);
            renamed[pair.Name] = newName;
        }
        return renamed.Count == 0 ? Error(400, "params: expected {\"old name\":\"new name\"}") : Ok(renamed);
    }

    private async Task<JsonObject> DeletedAsync(JsonElement parameters, CancellationToken cancellationToken)
    {
        if (parameters.ValueKind != JsonValueKind.String || parameters.GetString() is not { Length: > 0 } cloudName)
            return Error(400, "params: expected the device name");
        var device = names.LocalName(cloudName);
        if (await devices.FindByNameAsync(device, cancellationToken).ConfigureAwait(false) is not { } record)
            return Error(404, $"device '{cloudName}' is not known to this gateway");
        // The deleted device is gone from the server's session: announcing it again creates it anew
        // and its attribute updates and RPCs resume. Its queued rows stay and follow the announcement.
        tracker.Reactivate(device, record.Profile);
        BridgeLog.DeviceDeletedInCloud(_logger, device, cloudName);
        return Ok($"'{cloudName}' announced again");
    }

    private static TimeSpan? RestartDelay(JsonElement parameters)
    {
        double seconds;
        switch (parameters.ValueKind)
        {
            case JsonValueKind.Undefined or JsonValueKind.Null:
                seconds = 0;
                break;
            case JsonValueKind.Number when parameters.TryGetDouble(out var n):
                seconds = n;
                break;
            case JsonValueKind.String when double.TryParse(parameters.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var s):
                seconds = s;
                break;
            case JsonValueKind.Object when !parameters.EnumerateObject().Any():
                seconds = 0;
                break;
            case JsonValueKind.Object when parameters.TryGetProperty("delay", out var d) && d.TryGetDouble(out var delay):
                seconds = delay;
                break;
            default:
                return null;
        }
        if (double.IsNaN(seconds) || seconds < 0 || seconds > MaxRestartDelay.TotalSeconds) return null;
        return TimeSpan.FromSeconds(seconds);
    }

    private static JsonObject Ok(JsonNode? resp) => new() { ["code"] = 200, ["resp"] = resp };

    private static JsonObject Error(int code, string error) => new() { ["code"] = code, ["error"] = error };

    private static byte[] JsonSerializerFree(JsonObject answer) => Devices.DeviceMessages.Json(w =>
    {
        foreach (var (key, value) in answer)
        {
            w.WritePropertyName(key);
            if (value is null) w.WriteNullValue();
            else value.WriteTo(w);
        }
    });
}
