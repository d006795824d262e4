namespace Gateway.Coap.Observe;

/// <summary>
/// Relation added/removed events, queued under the endpoint's gate in the order the registry changed
/// and delivered outside it by one thread at a time, so the resource and the listener (persistence)
/// hear them in that order: a relation is never reported added after its replacement was.
/// </summary>
internal sealed class ObserveEvents(object gate)
{
    private readonly Queue<ObserveEvent> _pending = new();
    private bool _delivering;

    /// <summary>Under the gate.</summary>
    public void Enqueue(in ObserveEvent observeEvent) => _pending.Enqueue(observeEvent);

    /// <summary>
    /// Outside the gate: delivers what is queued, unless another thread is already delivering (it then
    /// delivers these too, after the ones it holds). A callback that changes relations only queues more.
    /// </summary>
    public void Deliver(Action<ObserveEvent> deliver)
    {
        lock (gate)
        {
            if (_delivering || _pending.Count == 0) return;
            _delivering = true;
        }
        while (true)
        {
            ObserveEvent next;
            lock (gate)
            {
                if (!_pending.TryDequeue(out next))
                {
                    _delivering = false;
                    return;
                }
            }
            try
            {
                deliver(next);
            }
            catch
            {
                lock (gate) _delivering = false;
                throw;
            }
        }
    }
}
