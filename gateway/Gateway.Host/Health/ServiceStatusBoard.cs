namespace Gateway.Host.Health;

/// <summary>
/// The last <see cref="ServiceStatus"/> the health loop wrote to the status file, kept in memory so
/// the admin page serves the very figures <c>coap-gateway status</c> reads from that file.
/// </summary>
public sealed class ServiceStatusBoard
{
    private volatile ServiceStatus? _current;

    /// <summary>Null until the health loop's first report (shortly after READY=1).</summary>
    public ServiceStatus? Current { get => _current; set => _current = value; }
}
