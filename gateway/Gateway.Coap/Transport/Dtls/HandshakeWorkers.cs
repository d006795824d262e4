namespace Gateway.Coap.Transport.Dtls;

/// <summary>
/// Threads for DTLS handshakes, which block their thread between flights (BouncyCastle's handshake reads its next
/// flight synchronously). A worker that finishes a handshake waits for the next one instead of ending, and a new
/// thread is started only when no worker is idle: starting a thread costs its starter, the receive thread, a wait
/// until the thread runs (NativeAOT's <c>Thread.Start</c> yields until then), which took two thirds of that thread's
/// time at 2,000 handshakes a second. A worker idle for <see cref="IdleTimeout"/> ends, so a quiet gateway holds none;
/// the number of threads follows the number of concurrent handshakes, which the transport caps.
/// </summary>
internal sealed class HandshakeWorkers(TimeSpan idleTimeout) : IDisposable
{
    private readonly Queue<Action> _jobs = new();
    private readonly object _gate = new();
    private int _idle, _threads;
    private bool _disposed;

    public TimeSpan IdleTimeout { get; } = idleTimeout;

    /// <summary>Worker threads alive, busy or idle.</summary>
    public int Threads { get { lock (_gate) return _threads; } }

    /// <summary>Workers waiting for a handshake.</summary>
    public int Idle { get { lock (_gate) return _idle; } }

    /// <summary>Runs <paramref name="handshake"/> on an idle worker, or on a new one if none is idle. It must not throw.</summary>
    public void Run(Action handshake)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _jobs.Enqueue(handshake);
            if (_idle >= _jobs.Count)
            {
                Monitor.Pulse(_gate);
                return;
            }
            _threads++;
        }
        new Thread(Work) { IsBackground = true, Name = "dtls-handshake" }.Start();
    }

    private void Work()
    {
        while (true)
        {
            Action handshake;
            lock (_gate)
            {
                while (_jobs.Count == 0)
                {
                    if (_disposed)
                    {
                        _threads--;
                        return;
                    }
                    _idle++;
                    bool woken = Monitor.Wait(_gate, IdleTimeout);
                    _idle--;
                    if (!woken && _jobs.Count == 0)
                    {
                        _threads--;
                        return;
                    }
                }
                handshake = _jobs.Dequeue();
            }
            handshake();
        }
    }

    /// <summary>Idle workers end now; busy ones end after their handshake (the transport aborts those first).</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            Monitor.PulseAll(_gate);
        }
    }
}
