using Gateway.Storage.Devices;

namespace Gateway.Host.Health;

/// <summary>Registered devices, counted from the device store now and then (not per scrape) for metrics, STATUS= and health telemetry.</summary>
public sealed class DeviceCensus(IDeviceStore devices, TimeProvider time)
{
    private readonly SemaphoreSlim _refresh = new(1, 1);
    private long _taken;
    private bool _valid;

    public int Total { get; private set; }

    /// <summary>Exosite devices registered with vendor/model/serial that have not activated yet.</summary>
    public int AwaitingActivation { get; private set; }

    public async Task RefreshAsync(TimeSpan maxAge, CancellationToken cancellationToken = default)
    {
        if (_valid && time.GetElapsedTime(_taken) < maxAge) return;
        await _refresh.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_valid && time.GetElapsedTime(_taken) < maxAge) return;
            (Total, AwaitingActivation) = await devices.CountAsync(cancellationToken).ConfigureAwait(false);
            _taken = time.GetTimestamp();
            _valid = true;
        }
        finally
        {
            _refresh.Release();
        }
    }
}
