using System.Globalization;
using Gateway.Bridge;
using Gateway.Host.Coap;
using Gateway.Host.Storage;
using Gateway.Host.Systemd;
using Gateway.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gateway.Host.Health;

/// <summary>
/// The one loop that checks liveness: every tick it runs the probes and feeds the systemd
/// watchdog (WATCHDOG=1) only when all pass; every <c>Gateway:StatusIntervalSeconds</c> it sends
/// a STATUS= line (link, backlog, devices) and rewrites the status file for <c>coap-gateway status</c>.
/// The tick is half of <c>WatchdogSec=</c> when systemd asks for a watchdog, else the status interval.
/// </summary>
public sealed class HealthLoopService(
    HealthMonitor monitor,
    ISystemdNotifier notifier,
    SystemdWatchdog systemdWatchdog,
    OutboxStatsSampler outbox,
    DeviceCensus devices,
    LinkStatus link,
    Uptime uptime,
    CoapListenerService coap,
    BridgeStatus bridge,
    ServiceStatusBoard board,
    IOptions<GatewayOptions> gateway,
    IOptions<StorageOptions> storage,
    IHostApplicationLifetime lifetime,
    TimeProvider time,
    ILogger<HealthLoopService> logger) : BackgroundService
{
    private static readonly string Version = typeof(HealthLoopService).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
    private static readonly ServiceState Watchdog = new("WATCHDOG=1");
    private readonly BacklogTrend _backlog = new(time);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var statusInterval = TimeSpan.FromSeconds(gateway.Value.StatusIntervalSeconds);
        var watchdog = systemdWatchdog.Timeout is { } timeout ? timeout / 2 : (TimeSpan?)null;
        var tick = watchdog is { } w && w < statusInterval ? w : statusInterval;
        if (notifier.IsEnabled) Log.NotifyEnabled(logger, watchdog is { } every ? $"fed every {every.TotalMilliseconds:0} ms" : "off");
        // A probe may take at most one tick, so a slow check delays the next ping by one tick at most.
        var limit = tick < TimeSpan.FromSeconds(5) ? tick : TimeSpan.FromSeconds(5);
        // Nothing before READY=1: systemd starts the watchdog clock at readiness, and a status file must not claim a half-started service.
        await StartedAsync(stoppingToken).ConfigureAwait(false);
        var starved = false;
        long lastStatus = 0;
        var first = true;
        using var timer = new PeriodicTimer(tick, time);
        do
        {
            var report = await monitor.CheckAsync(limit, stoppingToken).ConfigureAwait(false);
            if (watchdog is not null)
            {
                if (report.Alive)
                {
                    notifier.Notify(Watchdog);
                    if (starved) Log.WatchdogRecovered(logger);
                    starved = false;
                }
                else if (!starved)
                {
                    starved = true;
                    var failed = report.Probes.First(p => !p.Alive);
                    Log.WatchdogStarved(logger, failed.Name, failed.Detail);
                }
            }
            if (first || time.GetElapsedTime(lastStatus) >= statusInterval - TimeSpan.FromMilliseconds(1))
            {
                first = false;
                lastStatus = time.GetTimestamp();
                await ReportStatusAsync(report, "running", stoppingToken).ConfigureAwait(false);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    private async Task StartedAsync(CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var onStarted = lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        await started.Task.WaitAsync(stoppingToken).ConfigureAwait(false);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        WriteStatusFile(monitor.Latest, "stopped");
    }

    private async Task ReportStatusAsync(HealthReport report, string state, CancellationToken cancellationToken)
    {
        var stats = await outbox.RefreshAsync(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
        await devices.RefreshAsync(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
        _backlog.Add(stats.Depth, bridge.Snapshot().RowsForwarded);
        var oldest = stats.Depth == 0 ? "" : ", oldest " + Format.Duration(stats.OldestAge);
        notifier.Notify(new ServiceState(string.Create(CultureInfo.InvariantCulture,
            $"STATUS=link {LinkStatus.Describe(link.State)}; queue {stats.Depth} rows, {Format.Bytes(stats.Bytes)}{oldest}; {devices.Total} devices{(report.Alive ? "" : "; UNHEALTHY")}")));
        WriteStatusFile(report, state);
    }

    private void WriteStatusFile(HealthReport? report, string state)
    {
        var rates = _backlog.Rates();
        try
        {
            var status = new ServiceStatus
            {
                Pid = Environment.ProcessId,
                Version = Version,
                State = state,
                StartedAt = uptime.StartedAt,
                UpdatedAt = time.GetUtcNow(),
                IntervalSeconds = gateway.Value.StatusIntervalSeconds,
                Link = LinkStatus.Describe(link.State),
                Broker = link.Broker,
                SessionLimits = bridge.SessionLimits,
                CoapEndpoint = coap.IsStarted ? coap.Endpoint.LocalEndPoint.ToString() : null,
                Healthy = report?.Alive ?? false,
                Probes = report?.Probes ?? [],
                Coap = coap.IsStarted ? CoapFigures.Of(coap.Endpoint) : new Dictionary<string, long>(),
                DtlsEndpoint = coap.Dtls?.LocalEndPoint.ToString(),
                Dtls = coap.Dtls is { } dtls ? DtlsFigures.Of(dtls) : new Dictionary<string, long>(),
                DrainRowsPerSecond = rates?.DrainRowsPerSecond,
                NetDrainRowsPerSecond = rates?.NetRowsPerSecond,
                EmptyInSeconds = rates?.EmptyIn is { } emptyIn ? (long)emptyIn.TotalSeconds : null,
            };
            board.Current = status;
            ServiceStatusFile.Write(storage.Value.DataDir, status);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Log.StatusFileFailed(logger, ServiceStatusFile.PathIn(storage.Value.DataDir), e);
        }
    }
}
