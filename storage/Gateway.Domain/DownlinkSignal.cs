namespace Gateway.Domain;

/// <summary>
/// <see cref="IDownlinkSignal"/> with listeners called synchronously on the notifier's thread; a
/// listener that throws does not stop the others (they are the device side's business, not the bridge's).
/// </summary>
public sealed class DownlinkSignal : IDownlinkSignal
{
    private volatile Action<DownlinkEvent>[] _listeners = [];
    private readonly object _gate = new();

    /// <summary>Listeners that threw (exported as <c>coapgw_downlink_listener_failures_total</c>).</summary>
    public long ListenerFailures => Interlocked.Read(ref _failures);

    private long _failures;

    public void Notify(DownlinkEvent change)
    {
        foreach (var listener in _listeners)
        {
            try { listener(change); }
            catch (Exception) { Interlocked.Increment(ref _failures); }
        }
    }

    public IDisposable Subscribe(Action<DownlinkEvent> listener)
    {
        lock (_gate) _listeners = [.. _listeners, listener];
        return new Subscription(this, listener);
    }

    private void Unsubscribe(Action<DownlinkEvent> listener)
    {
        lock (_gate) _listeners = [.. _listeners.Where(l => l != listener)];
    }

    private sealed class Subscription(DownlinkSignal owner, Action<DownlinkEvent> listener) : IDisposable
    {
        public void Dispose() => owner.Unsubscribe(listener);
    }
}
