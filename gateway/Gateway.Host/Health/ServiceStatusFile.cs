using System.Text.Json;

namespace Gateway.Host.Health;

/// <summary>
/// <c>service-status.json</c> in the data directory: rewritten by the service every
/// <c>Gateway:StatusIntervalSeconds</c> (write to a temporary file, then rename, so a reader never
/// sees half a file), read by <c>coap-gateway status</c>. Not fsynced: it describes the present,
/// and after a crash the stale timestamp and the dead PID say so.
/// </summary>
public static class ServiceStatusFile
{
    public const string FileName = "service-status.json";

    public static string PathIn(string dataDir) => Path.Combine(dataDir, FileName);

    public static void Write(string dataDir, ServiceStatus status)
    {
        var path = PathIn(dataDir);
        var temporary = path + ".tmp";
        File.WriteAllBytes(temporary, JsonSerializer.SerializeToUtf8Bytes(status, ServiceStatusJsonContext.Default.ServiceStatus));
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>The last status written, or null if there is none or it cannot be read.</summary>
    public static ServiceStatus? TryRead(string dataDir)
    {
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllBytes(PathIn(dataDir)), ServiceStatusJsonContext.Default.ServiceStatus);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            return null;
        }
    }

    /// <summary>Whether <paramref name="status"/> describes a live process: state running, PID alive, and updated within three intervals.</summary>
    public static bool IsLive(ServiceStatus status, DateTimeOffset now) =>
        status.State == "running"
        && Directory.Exists($"/proc/{status.Pid}")
        && now - status.UpdatedAt < TimeSpan.FromSeconds(3 * Math.Max(1, status.IntervalSeconds) + 5);
}
