using System.Text.Json.Nodes;
using Gateway.Bridge;
using Gateway.Host.Health;
using Gateway.Host.Storage;
using Gateway.Storage;
using Gateway.Storage.Attributes;
using Gateway.Storage.Content;
using Gateway.Storage.Devices;
using Gateway.Storage.Downlinks;
using Gateway.Storage.Observe;
using Gateway.Storage.Outbox;

namespace Gateway.Host.Admin;

/// <summary>
/// <c>GET /api/status</c>: the document of <c>coap-gateway status --json</c> (<see cref="StatusReport"/>, fed
/// by the service status the health loop last wrote and the database), plus what only the page shows:
/// link details, dead letters by reason, the graph rings, a row per device and disk space. Never a
/// credential: devices appear by name, type and which kinds of credential they have.
/// </summary>
public sealed class AdminStatusDocument(
    ServiceStatusBoard board,
    OutboxStatsSampler outbox,
    SqliteDatabase database,
    IDeviceStore devices,
    IContentStore content,
    IDownlinkQueue downlinks,
    IObservationStore observations,
    IAttributeStore attributes,
    BridgeStatus bridge,
    DeviceActivity activity,
    StatusHistory history,
    AdminBind bind,
    AdminAuthentication authentication,
    TimeProvider time)
{
    // Above this many devices the per-device queries (downlinks, firmware) are left out: the page must stay cheap to poll.
    private const int DetailedDevices = 500;
    private static readonly string[] TargetFirmware = ["fw_title", "fw_version"];
    private static readonly string[] CurrentFirmware = ["current_fw_title", "current_fw_version", "fw_state"];

    public async Task<JsonObject> BuildAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var service = board.Current;
        var stats = await outbox.RefreshAsync(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
        var list = await devices.ListAsync(cancellationToken).ConfigureAwait(false);
        var items = await content.ListAsync(cancellationToken).ConfigureAwait(false);
        var report = StatusReport.Build(service, service is not null, stats, list, items.Count, database.Path, DeadLetterRegister.CountsByCause(database), now);

        var link = bridge.Snapshot();
        var linkJson = report["link"]!.AsObject();
        linkJson["connectedSince"] = link.ConnectedSince;
        linkJson["lastError"] = link.LastError;
        linkJson["reconnects"] = link.Reconnects;
        report["rates"] = new JsonObject
        {
            ["ingestedRows"] = activity.Total,
            ["forwardedRows"] = link.RowsForwarded,
        };
        report["history"] = new JsonObject
        {
            ["hour"] = Ring(history.Interval, history.Hour()),
            ["day"] = Ring(history.DayInterval, history.Day()),
        };
        report["deviceList"] = await DevicesAsync(list, cancellationToken).ConfigureAwait(false);
        report["disk"] = Disk(database.Options.DataDir);
        report["admin"] = new JsonObject { ["authentication"] = authentication.Enabled, ["bind"] = bind.ToString() };
        return report;
    }

    private static JsonObject Ring(TimeSpan interval, StatusSample[] samples) => new()
    {
        ["intervalSeconds"] = (long)interval.TotalSeconds,
        // Columns, not objects: a day ring is 288 rows and the page polls it every few seconds.
        ["columns"] = new JsonArray("at", "depth", "bytes", "oldestAgeSeconds", "ingestPerSecond", "forwardPerSecond"),
        ["samples"] = new JsonArray([.. samples.Select(s => (JsonNode)new JsonArray(s.AtUnixMs, s.Depth, s.Bytes, s.OldestAgeSeconds,
            Math.Round(s.IngestPerSecond, 2), Math.Round(s.ForwardPerSecond, 2)))]),
    };

    private async Task<JsonArray> DevicesAsync(IReadOnlyList<DeviceRecord> list, CancellationToken cancellationToken)
    {
        var relations = await observations.ListAsync(cancellationToken).ConfigureAwait(false);
        var observing = relations.Where(r => r.Device is not null).GroupBy(r => r.Device!, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var detailed = list.Count <= DetailedDevices;
        var rows = new JsonArray();
        foreach (var device in list)
        {
            var seen = activity.Of(device.Name);
            var row = new JsonObject
            {
                ["name"] = device.Name,
                ["type"] = device.Profile,
                ["api"] = device.Serial is null ? "ThingsBoard" : "Exosite",
                ["credentials"] = Cli.DevicesCommand.Credential(device), // kinds (as devices list shows them), never values
                ["lastSeen"] = seen?.LastSeen,
                ["messages"] = seen?.Messages ?? 0,
                ["observing"] = observing.GetValueOrDefault(device.Name),
            };
            if (detailed)
            {
                var pending = await downlinks.PendingAsync(device.Name, cancellationToken).ConfigureAwait(false);
                row["pendingRpcs"] = pending.Count(d => d.Kind == DownlinkKind.RpcRequest);
                row["pendingDownlinks"] = pending.Count(d => d.Kind != DownlinkKind.RpcRequest);
                row["firmware"] = await FirmwareAsync(device.Name, cancellationToken).ConfigureAwait(false);
            }
            rows.Add((JsonNode)row);
        }
        return rows;
    }

    // ThingsBoard OTA: the target is the shared fw_title/fw_version (coap-gateway firmware add); the device's
    // own current_fw_* and fw_state are known only if it reported them as client attributes.
    private async Task<string?> FirmwareAsync(string device, CancellationToken cancellationToken)
    {
        var target = await attributes.GetAsync(device, AttributeScope.Shared, TargetFirmware, cancellationToken).ConfigureAwait(false);
        var current = await attributes.GetAsync(device, AttributeScope.Client, CurrentFirmware, cancellationToken).ConfigureAwait(false);
        if (target.Count == 0 && current.Count == 0) return null;
        static string Text(IReadOnlyList<AttributeValue> values, string key) =>
            values.FirstOrDefault(v => v.Key == key) is { } v ? (JsonNode.Parse(v.Json)?.ToString() ?? "") : "";
        var parts = new List<string>();
        if (target.Count > 0) parts.Add($"target {Text(target, "fw_title")} {Text(target, "fw_version")}".TrimEnd());
        if (current.Count > 0) parts.Add($"current {Text(current, "current_fw_title")} {Text(current, "current_fw_version")} {Text(current, "fw_state")}".TrimEnd());
        return string.Join("; ", parts);
    }

    private static JsonObject Disk(string dataDir)
    {
        try
        {
            var drive = new DriveInfo(Path.GetFullPath(dataDir));
            return new JsonObject { ["path"] = dataDir, ["freeBytes"] = drive.AvailableFreeSpace, ["totalBytes"] = drive.TotalSize };
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return new JsonObject { ["path"] = dataDir, ["freeBytes"] = null, ["totalBytes"] = null };
        }
    }
}
