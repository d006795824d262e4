using Microsoft.Extensions.Logging;

namespace Gateway.Host;

/// <summary>The host's log lines. Event ids 500–599 are the host's range; never renumber (operators grep the journal for them).</summary>
internal static partial class Log
{
    [LoggerMessage(500, LogLevel.Information, "Storage open: {Path} (queue {Depth} rows, {Bytes} bytes)")]
    public static partial void StorageOpened(ILogger logger, string path, long depth, long bytes);

    [LoggerMessage(501, LogLevel.Information, "Storage closed: {Path}")]
    public static partial void StorageClosed(ILogger logger, string path);

    [LoggerMessage(502, LogLevel.Information, "Maintenance: {Rows} outbox rows expired (older than Storage:MaxAge)")]
    public static partial void MaintenanceExpired(ILogger logger, int rows);

    [LoggerMessage(503, LogLevel.Warning, "Maintenance failed; retrying at the next interval")]
    public static partial void MaintenanceFailed(ILogger logger, Exception exception);

    [LoggerMessage(510, LogLevel.Information, "systemd notify socket in use; watchdog {Watchdog}")]
    public static partial void NotifyEnabled(ILogger logger, string watchdog);

    [LoggerMessage(511, LogLevel.Warning, "Watchdog not fed: {Probe} made no progress ({Detail})")]
    public static partial void WatchdogStarved(ILogger logger, string probe, string detail);

    [LoggerMessage(512, LogLevel.Information, "Watchdog fed again: every liveness probe passes")]
    public static partial void WatchdogRecovered(ILogger logger);

    [LoggerMessage(520, LogLevel.Information, "HTTP listening on {EndPoint} (/healthz, /metrics)")]
    public static partial void HttpListening(ILogger logger, string endPoint);

    [LoggerMessage(521, LogLevel.Information, "HTTP listener off (Http:Port is 0)")]
    public static partial void HttpOff(ILogger logger);

    [LoggerMessage(560, LogLevel.Information, "Admin status page on http://{EndPoint}/ (authentication {Authentication})")]
    public static partial void AdminListening(ILogger logger, string endPoint, string authentication);

    [LoggerMessage(530, LogLevel.Warning, "Health telemetry for {Device} not stored: {Status} {Refusal}")]
    public static partial void HealthNotStored(ILogger logger, string device, string status, string refusal);

    [LoggerMessage(531, LogLevel.Warning, "Health telemetry failed; retrying at the next interval")]
    public static partial void HealthFailed(ILogger logger, Exception exception);

    [LoggerMessage(532, LogLevel.Warning, "Status file {Path} not written")]
    public static partial void StatusFileFailed(ILogger logger, string path, Exception exception);

    [LoggerMessage(550, LogLevel.Information, "Observe relations restored after the restart: {Restored} ({Declined} no longer accepted, removed)")]
    public static partial void ObservationsRestored(ILogger logger, int restored, int declined);

    [LoggerMessage(552, LogLevel.Error, "Restoring the stored observe relations failed after {Restored}; the others wait for their devices to register again")]
    public static partial void ObservationRestoreFailed(ILogger logger, Exception exception, int restored);

    [LoggerMessage(551, LogLevel.Warning, "{Count} observe relation writes not saved; those relations will not survive a restart")]
    public static partial void ObservationWriteFailed(ILogger logger, int count, Exception exception);

    [LoggerMessage(540, LogLevel.Critical, "Background service {Service} failed; the gateway stops with exit code 1 so systemd restarts it")]
    public static partial void BackgroundServiceFailed(ILogger logger, string service, Exception exception);

    [LoggerMessage(541, LogLevel.Critical, "The gateway could not start")]
    public static partial void StartFailed(ILogger logger, Exception exception);

    [LoggerMessage(542, LogLevel.Information, "coap-gateway {Version} started (pid {Pid}, data {DataDir})")]
    public static partial void Started(ILogger logger, string version, int pid, string dataDir);

    [LoggerMessage(543, LogLevel.Warning, "Stopped for a restart requested by the cloud (gateway_restart); exit code {ExitCode} makes systemd start the gateway again")]
    public static partial void RestartRequested(ILogger logger, int exitCode);
}
