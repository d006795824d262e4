namespace Gateway.Domain;

/// <summary>The in-process doorbell from the cloud side to the device side.</summary>
public interface IDownlinkSignal
{
    /// <summary>Raised by the bridge after it stored the change. Never blocks on listeners.</summary>
    void Notify(DownlinkEvent change);

    /// <summary>Listens to every change; dispose to stop.</summary>
    IDisposable Subscribe(Action<DownlinkEvent> listener);
}
