using System.Globalization;
using System.Text.Json;
using Gateway.Bridge.Devices;
using Gateway.Bridge.Limits;
using Gateway.Mqtt.Client;
using Microsoft.Extensions.Logging;

namespace Gateway.Bridge.Logs;

/// <summary>
/// Sends the queued warnings and errors (<see cref="CloudLogProvider"/>) as telemetry of the gateway
/// device, <c>v1/devices/me/telemetry</c> <c>[{"ts":ms,"values":{"LOGS":"…","log_level":"WARNING",
/// "log_event_id":403,"log_category":"…"}}]</c> (thingsboard.md §4.1; <c>LOGS</c> is the key ThingsBoard's
/// IoT Gateway uses), QoS 1, at most <c>Bridge:RemoteLogsPerSecond</c>. Live data, not stored: while the
/// link is down an entry is dropped and counted. Also reads the level: the shared attribute
/// <c>RemoteLoggingLevel</c> of the gateway device (<c>WARNING</c>, <c>ERROR</c>; anything else or its
/// deletion turns it off), pushed on <c>v1/devices/me/attributes</c> and asked for after each connect.
/// </summary>
public sealed class CloudLogShipper(MqttClient client, CloudLogProvider logs, BridgeOptions options, BridgeStatus status, TimeProvider? time = null, SessionPacer? pacer = null)
{
    public const string LevelAttribute = "RemoteLoggingLevel";

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private long _sent;

    public long Sent => Interlocked.Read(ref _sent);

    /// <summary>Ships until <paramref name="stop"/>; one PUBLISH per entry, spaced by the configured rate.</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        var spacing = TimeSpan.FromSeconds(1 / Math.Max(0.01, options.RemoteLogsPerSecond));
        client.ConnectionStateChanged += AskLevel;
        try
        {
            if (status.Connected) await client.PublishAsync(LevelRequest(), stop).ConfigureAwait(false);
            await ShipAsync(spacing, stop).ConfigureAwait(false);
        }
        finally
        {
            client.ConnectionStateChanged -= AskLevel;
        }
    }

    private void AskLevel(object? sender, MqttConnectionStateChangedEventArgs e)
    {
        if (e.State == MqttConnectionState.Connected) _ = client.PublishAsync(LevelRequest()).AsTask();
    }

    private async Task ShipAsync(TimeSpan spacing, CancellationToken stop)
    {
        await foreach (var entry in logs.Entries.ReadAllAsync(stop).ConfigureAwait(false))
        {
            if (!status.Connected || logs.Threshold == LogLevel.None)
            {
                logs.CountDropped();
                continue;
            }
            pacer?.Charge([new UplinkEntry("", true, 4)]);
            var result = await client.PublishAsync(new MqttMessage { Topic = GatewayTopics.OwnTelemetry, Payload = Payload(entry) }, stop).ConfigureAwait(false);
            if (result.IsSuccess) Interlocked.Increment(ref _sent);
            else logs.CountDropped();
            await Task.Delay(spacing, _time, stop).ConfigureAwait(false);
        }
    }

    /// <summary>The request for the level after a connect: <c>{"sharedKeys":"RemoteLoggingLevel"}</c> on <c>v1/devices/me/attributes/request/1</c>.</summary>
    public static MqttMessage LevelRequest() => new()
    {
        Topic = GatewayTopics.OwnAttributeRequestPrefix + "1",
        Payload = DeviceMessages.Json(w => w.WriteString("sharedKeys", LevelAttribute)),
    };

    /// <summary>
    /// Applies a shared-attribute message of the gateway device: an update <c>{"RemoteLoggingLevel":"ERROR"}</c>,
    /// a deletion <c>{"deleted":["RemoteLoggingLevel"]}</c>, or a response <c>{"shared":{…}}</c>. Other keys are ignored.
    /// </summary>
    public void ApplyAttributes(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object) return;
        if (root.TryGetProperty("shared", out var shared) && shared.ValueKind == JsonValueKind.Object) root = shared;
        if (root.TryGetProperty(LevelAttribute, out var level))
            logs.Threshold = level.ValueKind == JsonValueKind.String ? LevelOf(level.GetString()!) : LogLevel.None;
        else if (root.TryGetProperty("deleted", out var deleted) && deleted.ValueKind == JsonValueKind.Array
                 && deleted.EnumerateArray().Any(k => k.ValueKind == JsonValueKind.String && k.GetString() == LevelAttribute))
            logs.Threshold = LogLevel.None;
    }

    /// <summary>ThingsBoard IoT Gateway's level names; DEBUG and INFO ship warnings too (only warnings and errors are shipped).</summary>
    public static LogLevel LevelOf(string name) => name.Trim().ToUpperInvariant() switch
    {
        "DEBUG" or "INFO" or "WARNING" or "WARN" => LogLevel.Warning,
        "ERROR" => LogLevel.Error,
        "CRITICAL" => LogLevel.Critical,
        _ => LogLevel.None,
    };

    private static string LevelName(LogLevel level) => level switch
    {
        LogLevel.Warning => "WARNING",
        LogLevel.Error => "ERROR",
        LogLevel.Critical => "CRITICAL",
        _ => level.ToString().ToUpperInvariant(),
    };

    private static byte[] Payload(CloudLogEntry entry)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartArray();
            w.WriteStartObject();
            w.WriteNumber("ts", entry.At.ToUnixTimeMilliseconds());
            w.WriteStartObject("values");
            w.WriteString("LOGS", entry.Message);
            w.WriteString("log_level", LevelName(entry.Level));
            w.WriteNumber("log_event_id", entry.EventId);
            w.WriteString("log_category", entry.Category);
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndArray();
        }
        return buffer.WrittenSpan.ToArray();
    }
}
