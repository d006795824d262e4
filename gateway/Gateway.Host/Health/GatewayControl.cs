using System.Text.Json.Nodes;
using Gateway.Bridge.Service;
using Microsoft.Extensions.Hosting;

namespace Gateway.Host.Health;

/// <summary>
/// <see cref="IGatewayControl"/> for the service RPCs on the gateway device: version, figures, and
/// <c>gateway_restart</c>, which stops the host after the delay and makes the process exit with
/// <see cref="RestartExitCode"/>, so that the unit's <c>Restart=on-failure</c> starts it again.
/// </summary>
public sealed class GatewayControl(GatewayFigures figures, IHostApplicationLifetime lifetime, TimeProvider time) : IGatewayControl, IDisposable
{
    /// <summary>
    /// EX_TEMPFAIL (sysexits.h): "try again later". Non-zero, because systemd's <c>Restart=on-failure</c>
    /// restarts only after an unclean exit; distinct from 1 (a failure) and 2 (bad configuration), so the
    /// journal tells a requested restart from a crash.
    /// </summary>
    public const int RestartExitCode = 75;

    private ITimer? _timer;

    public string Version { get; } = typeof(GatewayControl).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    /// <summary>Set once a requested restart stopped the host: the process then exits with <see cref="RestartExitCode"/>.</summary>
    public bool RestartRequested { get; private set; }

    public Task<JsonObject> GetStatsAsync(CancellationToken cancellationToken) => figures.CollectAsync(cancellationToken);

    public void ScheduleRestart(TimeSpan delay)
    {
        var timer = time.CreateTimer(_ =>
        {
            RestartRequested = true;
            lifetime.StopApplication();
        }, null, delay, Timeout.InfiniteTimeSpan);
        Interlocked.Exchange(ref _timer, timer)?.Dispose();
    }

    public void Dispose() => _timer?.Dispose();
}
