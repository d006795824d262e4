using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Gateway.Bench.Drain;

/// <summary>
/// The backlog every sender delivers: <c>rows</c> telemetry rows of <c>devices</c> devices,
/// interleaved, each <c>{"ts":…,"values":{"temperature":…,"humidity":…,"seq":…}}</c>. For the
/// gateway it is a data directory whose outbox is filled by one SQL statement (not through CoAP);
/// for the raw publishers the same rows as gateway-API messages (thingsboard.md §4.2), one row per
/// message or packed many devices to a message up to the gateway's packet limit.
/// </summary>
internal sealed class Backlog(int rows, int devices)
{
    public const string LiveToken = "DRAIN_BENCH_LIVE_TOKEN";
    private const long FirstTs = 1_700_000_000_000;

    public int Rows => rows;

    public int Devices => devices;

    public static string DeviceOf(int i, int devices) => $"device-{i % devices:D3}";

    public string Row(int i) => string.Create(CultureInfo.InvariantCulture,
        $"{{\"ts\":{FirstTs + i},\"values\":{{\"temperature\":{20.5 + i % 10:0.0},\"humidity\":{40 + i % 20},\"seq\":{i}}}}}");

    /// <summary>
    /// A gateway data directory with the live device registered (<c>devices add</c>) and the backlog in
    /// its outbox, enqueued an hour ago by the store clock (an outage: older than the live window, far from
    /// Storage:MaxAge). Needs sqlite3.
    /// </summary>
    public void CreateDataDir(GatewayCommand gateway, string directory)
    {
        gateway.Run(["devices", "add", "live-sensor", "--token", LiveToken, $"--data-dir={directory}"]);
        var db = Path.Combine(directory, "gateway.db");
        // Kind 1 = telemetry, Content-Format 50 = JSON; size as OutboxPolicy.AccountedSize counts it (64 + payload + device).
        var sql = $$$"""
            WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {{{rows - 1}}}),
            r(i, device, payload) AS (SELECT i, printf('device-%03d', i % {{{devices}}}),
              CAST(printf('[{"ts":%d,"values":{"temperature":%.1f,"humidity":%d,"seq":%d}}]', {{{FirstTs}}} + i, 20.5 + i % 10, 40 + i % 20, i) AS BLOB) FROM n)
            INSERT INTO outbox (device, kind, payload, content_format, received_at_ms, clock_synced, enqueued_clock, size)
            SELECT device, 1, payload, 50, {{{FirstTs}}} + i, 1, coalesce((SELECT value FROM meta WHERE key = 'store_clock'), 0) - 3600000, 64 + length(payload) + length(device) FROM r;
            """;
        RunTool("sqlite3", [db, sql]);
        var count = RunTool("sqlite3", [db, "SELECT count(*) FROM outbox"]).Trim();
        if (count != rows.ToString(CultureInfo.InvariantCulture)) throw new InvalidOperationException($"backlog fill: {count} rows in the outbox, expected {rows}");
    }

    /// <summary>A fresh copy of a data directory made by <see cref="CreateDataDir"/>, beside it: a measurement changes its copy.</summary>
    public static string CopyDataDir(string template, string prefix)
    {
        var copy = Path.Combine(Path.GetDirectoryName(template)!, $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(copy);
        foreach (var file in Directory.GetFiles(template)) File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
        return copy;
    }

    /// <summary>One gateway-API message per row: <c>{"device-007":[row]}</c>.</summary>
    public IEnumerable<string> SingleMessages()
    {
        for (int i = 0; i < rows; i++) yield return $"{{\"{DeviceOf(i, devices)}\":[{Row(i)}]}}";
    }

    /// <summary>
    /// Rows in id order packed as the gateway packs them: one array per device, many devices per
    /// message, each message at most <paramref name="budget"/> bytes. Consecutive messages keep
    /// every device's order.
    /// </summary>
    public IEnumerable<string> PackedMessages(int budget)
    {
        var byDevice = new Dictionary<string, StringBuilder>(StringComparer.Ordinal);
        var order = new List<string>();
        int size = 2;
        for (int i = 0; i < rows; i++)
        {
            var device = DeviceOf(i, devices);
            var row = Row(i);
            int grow = byDevice.ContainsKey(device) ? row.Length + 1 : device.Length + 6 + row.Length;
            if (size + grow > budget && order.Count > 0)
            {
                yield return Join(order, byDevice);
                byDevice.Clear();
                order.Clear();
                size = 2;
                grow = device.Length + 6 + row.Length;
            }
            if (!byDevice.TryGetValue(device, out var array))
            {
                byDevice[device] = array = new StringBuilder();
                order.Add(device);
            }
            else array.Append(',');
            array.Append(row);
            size += grow;
        }
        if (order.Count > 0) yield return Join(order, byDevice);
    }

    private static string Join(List<string> order, Dictionary<string, StringBuilder> byDevice) =>
        "{" + string.Join(",", order.Select(d => $"\"{d}\":[{byDevice[d]}]")) + "}";

    public static string RunTool(string file, IEnumerable<string> arguments)
    {
        var psi = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments) psi.ArgumentList.Add(argument);
        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"{file} did not start");
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{file} exited {process.ExitCode}: {error.Result}");
        return output;
    }
}
