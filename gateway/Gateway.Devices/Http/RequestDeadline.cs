namespace Gateway.Devices.Http;

/// <summary>
/// A request's cancellation: the client going away or <see cref="HttpApiOptions.RequestTimeout"/> on the
/// <see cref="TimeProvider"/> (a linked source's own timer would use the system clock; tests script time).
/// </summary>
internal sealed class RequestDeadline : IDisposable
{
    private readonly CancellationTokenSource _timeout;
    private readonly CancellationTokenSource _linked;

    public RequestDeadline(CancellationToken requestAborted, TimeSpan timeout, TimeProvider time)
    {
        _timeout = new CancellationTokenSource(timeout, time);
        _linked = CancellationTokenSource.CreateLinkedTokenSource(requestAborted, _timeout.Token);
    }

    public CancellationToken Token => _linked.Token;

    /// <summary>True when the deadline, not the client, ended the request.</summary>
    public bool Expired => _timeout.IsCancellationRequested;

    public void Dispose()
    {
        _linked.Dispose();
        _timeout.Dispose();
    }
}
